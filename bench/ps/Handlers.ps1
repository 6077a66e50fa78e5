# The handler scriptblocks every PowerShell peer runs, one per scenario. Each makes exactly one
# BenchProbe call per message (that is how the runner knows a message reached the handler).
$script:BenchHandlers = @{
    # Inbound firehose, round trip: read the text, count it.
    Plain = { $null = $WsEvent.Request.Body; [BenchProbe]::Hit() }
    # Inbound firehose with application/json: the framework parses, the handler reads a field.
    Json  = { $null = $WsEvent.Request.Body; $null = $WsEvent.Data.seq; [BenchProbe]::Hit() }
    # Large binary messages: read the length of the raw bytes.
    Large = { [BenchProbe]::Add($WsEvent.Request.RawBody.Length) }
    # Outbound: the sink's reply to "__count__".
    Reply = { [BenchProbe]::Text($WsEvent.Request.Body) }
}
