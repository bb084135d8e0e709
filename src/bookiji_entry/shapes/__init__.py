"""Request and response shapes of the HTTP API, declared once as msgspec Structs.

Each shape is at the same time the validator of a request (decoded with the Struct: types,
lengths, patterns and enums), the renderer of a response (the Struct is encoded) and, through
`msgspec.json.schema_components`, the JSON Schema that /openapi.json publishes. Domain facts
(states, roles, length limits, patterns) are imported from `bookiji_core`, never re-typed.
One module per area; `bookiji_entry.http._spec` declares which shape each operation takes and
answers with.
"""
