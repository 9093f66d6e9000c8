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

    public bool Any => StuckDwords.Count > 0 || RetriesNeeded > 0 || Vanished || VanishAfterWrites >= 0 || IoError;
}
