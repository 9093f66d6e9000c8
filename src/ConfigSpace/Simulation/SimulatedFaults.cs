namespace Preconfig.ConfigSpace.Simulation;

/// <summary>Faults a simulated function can be told to show, to test that callers cope with real hardware.</summary>
public sealed class SimulatedFaults
{
    /// <summary>Dword-aligned offsets whose writes are silently dropped (a register that does not stick).</summary>
    public HashSet<int> StuckDwords { get; init; } = [];

    /// <summary>Every write is dropped this many times per dword before one sticks (a slow device).</summary>
    public int RetriesNeeded { get; set; }

    /// <summary>The function is gone: reads return all ones, writes go nowhere.</summary>
    public bool Vanished { get; set; }

    /// <summary>The function vanishes once it has taken this many writes (-1: never). For "gone mid-replay".</summary>
    public int VanishAfterWrites { get; set; } = -1;

    /// <summary>Every access fails with EIO.</summary>
    public bool IoError { get; set; }

    // Hostile hardware after a reset: what real machines do and QEMU does not. Each is an oracle of its own (the PCI
    // Express Base Specification's reset rules), never read by the planner.

    /// <summary>Where "now" comes from for the timed faults below (tests move a fake clock).</summary>
    public TimeProvider Clock { get; set; } = TimeProvider.System;

    /// <summary>For this long after each reset the function completes config requests with Configuration RRS: a read
    /// of the Vendor ID returns 0x0001 (what a root port with RRS Software Visibility synthesizes), every other read all
    /// ones, writes are lost (PCIe r6.0 sec 2.3.1, 6.6.1).</summary>
    public TimeSpan RrsAfterReset { get; set; }

    /// <summary>After a reset the function never answers again (reads all ones, writes lost).</summary>
    public bool NeverBackAfterReset { get; set; }

    /// <summary>On a bridge: for this long after its Secondary Bus Reset, its LnkSta Data Link Layer Link Active reads 0
    /// and every function below it reads all ones (the link retraining).</summary>
    public TimeSpan LinkDownAfterReset { get; set; }

    public bool Any => StuckDwords.Count > 0 || RetriesNeeded > 0 || Vanished || VanishAfterWrites >= 0 || IoError
        || RrsAfterReset > TimeSpan.Zero || NeverBackAfterReset || LinkDownAfterReset > TimeSpan.Zero;
}
