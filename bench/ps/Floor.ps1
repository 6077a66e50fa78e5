# Peer F, the PowerShell floor: the same handler run over a pre-filled array of the same messages
# the firehose sends, with no network and no native code. It is the least time any PowerShell
# implementation can spend per message: what remains is running the handler itself (plus, for
# application/json, parsing the text into a hashtable, which every implementation must do).
#
# The events are built before the clock starts, shaped like $WsEvent (Request.Body, Data, ...).
# Several ways of running a scriptblock per item are timed and F is the fastest of them (so F is
# a floor, not a particular choice); the per-method times are reported too:
#   call        foreach + `$WsEvent = $e; & $handler`       (new scope per call)
#   dot         foreach + `$WsEvent = $e; . $handler`       (no new scope)
#   context     $handler.InvokeWithContext($null, [psvariable WsEvent])
#   steppable   the handler's text compiled once into `process { $WsEvent = $_; <handler> }`,
#               fed one item per SteppablePipeline.Process($e) call
#   pipeline    the same compiled process block fed the whole array through one pipeline
#               (`$events | & $compiled`): no per-item scope, binding or method call.
# For Json, the parse runs inside the timed loop with the fastest of ConvertFrom-Json
# -AsHashtable and the JsonObject.ConvertFromJson API it calls (both plain PowerShell).

function New-BenchFloorEvents([long] $Count, [string] $Variant, [int] $Size) {
    $events = [object[]]::new($Count)
    for ($i = 0; $i -lt $Count; $i++) {
        if ($Variant -eq 'Json') {
            $pad = 'x' * [math]::Max(0, $Size - 27)
            $body = '{"seq":"' + $i.ToString('D10') + '","p":"' + $pad + '"}'
        }
        else {
            $body = $i.ToString('D10').PadRight($Size, 'x').Substring(0, $Size)
        }
        $events[$i] = @{
            Request   = @{ Body = $body; ContentLength = $Size }
            Data      = $null
            Files     = @{}
            Timestamp = [datetime]::UtcNow
            Metadata  = @{}
        }
    }
    return , $events
}

# Each method's timed loop as code; {PARSE} becomes the inline parse of $x.Request.Body into
# $x.Data (nothing for Plain), so the parse costs the same in every method.
$script:BenchFloorLoops = @{
    call      = 'foreach ($e in $Events) { {PARSE:$e} $WsEvent = $e; & $Handler }'
    dot       = 'foreach ($e in $Events) { {PARSE:$e} $WsEvent = $e; . $Handler }'
    context   = '$v = [psvariable]::new("WsEvent", $null); $vars = [System.Collections.Generic.List[psvariable]]::new(); $vars.Add($v)
                 foreach ($e in $Events) { {PARSE:$e} $v.Value = $e; $null = $Handler.InvokeWithContext($null, $vars) }'
    steppable = '$sp = { & $Compiled }.GetSteppablePipeline(); $sp.Begin($true)
                 foreach ($e in $Events) { $sp.Process($e) }
                 $sp.End()'
    pipeline  = '$Events | & $Compiled'
}
$script:BenchFloorParsers = @{
    none   = ''
    cmdlet = '{0}.Data = ConvertFrom-Json -InputObject {0}.Request.Body -AsHashtable;'
    api    = '{0}.Data = [Microsoft.PowerShell.Commands.JsonObject]::ConvertFromJson({0}.Request.Body, $true, [ref]$null);'
}

function Measure-BenchFloorMethod([string] $Method, [object[]] $Events, [scriptblock] $Handler, [string] $Parser) {
    $count = $Events.Length
    $parse = $BenchFloorParsers[$Parser]
    $Compiled = [scriptblock]::Create("process { $($parse -f '$_') `$WsEvent = `$_; $Handler }")
    $loop = [regex]::Replace($BenchFloorLoops[$Method], '\{PARSE:(\$\w+)\}', { param($m) $parse -f $m.Groups[1].Value })
    $timed = [scriptblock]::Create($loop)
    [BenchProbe]::Arm($count)
    $cpu0 = Get-BenchCpuSeconds
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    . $timed
    $secs = $sw.Elapsed.TotalSeconds
    $cpu = (Get-BenchCpuSeconds) - $cpu0
    if ([BenchProbe]::Count -ne $count) { throw "floor method $Method ran the handler $([BenchProbe]::Count) of $count times" }
    return @{ secs = $secs; cpu_secs = $cpu }
}

function Invoke-BenchFloor([long] $Count, [string] $Variant, [int] $Size = 32, [string[]] $Methods = @('call', 'dot', 'context', 'steppable', 'pipeline')) {
    $handler = $BenchHandlers[$Variant]
    $events = New-BenchFloorEvents $Count $Variant $Size
    $parsers = if ($Variant -eq 'Json') { @('cmdlet', 'api') } else { @('none') }
    $results = @{}
    $best = $null
    foreach ($parserName in $parsers) {
        foreach ($method in $Methods) {
            foreach ($e in $events) { $e.Data = $null }
            $r = Measure-BenchFloorMethod $method $events $handler $parserName
            $key = if ($parserName -eq 'none') { $method } else { "$method+$parserName" }
            $results[$key] = $r
            if ($null -eq $best -or $r.secs -lt $best.secs) { $best = @{ secs = $r.secs; cpu_secs = $r.cpu_secs; method = $key } }
        }
    }
    return @{ messages = $Count; secs = $best.secs; cpu_secs = $best.cpu_secs; method = $best.method; methods = $results }
}
