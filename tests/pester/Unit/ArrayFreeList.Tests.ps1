# The free list that keeps arrays of large binary messages for reuse (ArrayFreeList, behind
# RecycledArrays): the bounds README promises (at most 4 arrays and 64 MiB, all let go after 5 s
# without a large message), driven with the time passed in. Messaging.Tests proves the same
# through a real connection: arrays come back after the handler is done and go after 5 s idle.

BeforeAll {
    . (Join-Path $PSScriptRoot '../Helpers.ps1')
    Import-TestModule

    $script:FreeListType = [PodeWebSocket.NativeLibraryLoader].Assembly.GetType('PodeWebSocket.ArrayFreeList', $true)
    function New-FreeList([long]$NowMs = 0) {
        return [System.Activator]::CreateInstance($script:FreeListType, [object[]]@($NowMs))
    }
}

Describe 'Arrays kept for reuse' {
    It 'promises the bounds README states' {
        $script:FreeListType::MaxArrays | Should -Be 4
        $script:FreeListType::MaxBytes | Should -Be 64MB
        $script:FreeListType::IdleMs | Should -Be 5000
    }

    It 'keeps at most 4 arrays, the newest' {
        $list = New-FreeList
        $offered = @(foreach ($i in 1..6) { $list.Offer([byte[]]::new(1MB + $i), 10) })
        $offered | Should -Be @($true, $true, $true, $true, $true, $true) -Because 'the oldest make room'
        $list.Count | Should -Be 4
        $list.Bytes | Should -Be (4MB + 3 + 4 + 5 + 6)
        $list.Take(1MB + 1, 20) | Should -BeNullOrEmpty -Because 'the oldest went first'
        $list.Take(1MB + 2, 20) | Should -BeNullOrEmpty
        $list.Take(1MB + 6, 20).Length | Should -Be (1MB + 6)
    }

    It 'keeps at most 64 MiB, the newest' {
        $list = New-FreeList
        $list.Offer([byte[]]::new(30MB), 10) | Should -BeTrue
        $list.Offer([byte[]]::new(30MB + 1), 10) | Should -BeTrue
        $list.Offer([byte[]]::new(30MB + 2), 10) | Should -BeTrue -Because 'the oldest makes room'
        $list.Count | Should -Be 2
        $list.Bytes | Should -Be (60MB + 3)
        $list.TakeLetGoBytes() | Should -Be 30MB -Because 'what was let go is garbage the module counts toward its next collection'
        $list.Take(30MB, 20) | Should -BeNullOrEmpty
        $list.Offer([byte[]]::new(4MB - 3), 10) | Should -BeTrue -Because 'exactly 64 MiB is within the bound'
        $list.Count | Should -Be 3
        $list.Bytes | Should -Be 64MB
        $list.TakeLetGoBytes() | Should -Be 0 -Because 'nothing had to make room'
        $list.Offer([byte[]]::new(1), 10) | Should -BeTrue
        $list.Bytes | Should -Be 34MB -Because 'one byte over the bound let the oldest 30 MiB go'
        $list.TakeLetGoBytes() | Should -Be (30MB + 1)
        $list.TakeLetGoBytes() | Should -Be 0 -Because 'each byte let go is told once'
        $list.Offer([byte[]]::new(64MB + 1), 10) | Should -BeFalse -Because 'an array over the bound alone is never kept'
        $list.Count | Should -Be 3 -Because 'and nothing was let go for it'
        $list.TakeLetGoBytes() | Should -Be 0
    }

    It 'hands out a kept array only for a message of exactly its length, once' {
        $list = New-FreeList
        $two = [byte[]]::new(2MB)
        $three = [byte[]]::new(3MB)
        $null = $list.Offer($two, 10)
        $null = $list.Offer($three, 10)
        $list.Take(1MB, 20) | Should -BeNullOrEmpty
        [object]::ReferenceEquals($list.Take(3MB, 20), $three) | Should -BeTrue
        $list.Take(3MB, 20) | Should -BeNullOrEmpty -Because 'it was taken out'
        $list.Count | Should -Be 1
        $list.Bytes | Should -Be 2MB
    }

    It 'lets every kept array go 5 s after the last large message, and keeps none offered later' {
        $list = New-FreeList -NowMs 1000
        $null = $list.Take(1MB, 2000)            # a large message starts at 2 s
        $null = $list.Offer([byte[]]::new(1MB), 2500)
        $null = $list.Offer([byte[]]::new(1MB), 2600)
        $list.TrimIfIdle(6999)
        $list.Count | Should -Be 2 -Because '4.999 s is not idle yet'
        $list.TakeLetGoBytes() | Should -Be 0
        $list.TrimIfIdle(7000)
        $list.Count | Should -Be 0
        $list.Bytes | Should -Be 0
        $list.TakeLetGoBytes() | Should -Be 0 -Because 'arrays let go when idle are not counted (a collection may have freed them by the next large message)'
        $list.Offer([byte[]]::new(1MB), 7100) | Should -BeFalse -Because 'an array that comes back after 5 s idle is not kept'
        $null = $list.Take(1MB, 8000)            # the next large message
        $list.Offer([byte[]]::new(1MB), 8100) | Should -BeTrue
    }

    It 'counts from its creation when no large message came yet' {
        $list = New-FreeList -NowMs 1000
        $list.Offer([byte[]]::new(1MB), 5999) | Should -BeTrue
        $list.Offer([byte[]]::new(1MB), 6000) | Should -BeFalse
    }
}

Describe 'An array handed back at once (-ReuseRawBody)' {
    BeforeAll {
        $type = [PodeWebSocket.NativeLibraryLoader].Assembly.GetType('PodeWebSocket.RecycledArrays', $true)
        $flags = [System.Reflection.BindingFlags]'Public,NonPublic,Static'
        $script:Recycled = @{
            Track  = $type.GetMethod('Track', $flags)
            Return = $type.GetMethod('Return', $flags)
            Take   = $type.GetMethod('Take', $flags)
        }
    }

    It 'is kept for the next message of its length, and never offered again by the collection that would have found it' {
        # As the allocator does: a tracked array goes to a message; its handler is done, so the
        # dispatcher hands it back; the next message takes it (tracked again). The first tracking's
        # finalizer must not put it into the free list while that next message still uses it.
        $length = 3MB + 17   # a length no other test's messages have
        $array = [byte[]]::new($length)
        # a large message starts (the free list keeps nothing 5 s after the last one)
        $script:Recycled.Take.Invoke($null, @($length)) | Should -BeNullOrEmpty
        $null = $script:Recycled.Track.Invoke($null, @(, $array))
        $script:Recycled.Return.Invoke($null, @(, $array)) | Should -BeTrue
        $again = $script:Recycled.Take.Invoke($null, @($length))
        [object]::ReferenceEquals($again, $array) | Should -BeTrue -Because 'the array handed back serves the next message of its length'
        $null = $script:Recycled.Track.Invoke($null, @(, $again))
        for ($i = 0; $i -lt 2; $i++) { [GC]::Collect(); [GC]::WaitForPendingFinalizers() }
        $script:Recycled.Take.Invoke($null, @($length)) | Should -BeNullOrEmpty -Because 'the array is in use by the second message'
        [GC]::KeepAlive($again)
    }
}
