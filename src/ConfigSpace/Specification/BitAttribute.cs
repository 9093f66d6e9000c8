namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// What software can do with one configuration register bit: the register types of the PCI Express Base Specification
/// 4.0 §7.4 (Table 7-2), which also name the conventional PCI behaviours (PCI Local Bus 3.0 §6.1, §6.2).
/// </summary>
public enum BitAttribute : byte
{
    /// <summary>Reserved and preserved: reads 0 here; software writes back what it read. Hardware ignores writes.</summary>
    RsvdP,
    /// <summary>Reserved and zero: reads 0; software writes 0. Hardware ignores writes.</summary>
    RsvdZ,
    /// <summary>Read-only; hardware may change it (status, identity).</summary>
    RO,
    /// <summary>Hardware-initialized: fixed by hardware or firmware before software runs; read-only to software.</summary>
    HwInit,
    /// <summary>Read-only, sticky: kept through a function-level or hot reset.</summary>
    ROS,
    /// <summary>Read-write.</summary>
    RW,
    /// <summary>Read-write, sticky: kept through a function-level or hot reset.</summary>
    RWS,
    /// <summary>Write 1 to clear: hardware sets it, software writes 1 to clear it, writing 0 has no effect.</summary>
    RW1C,
    /// <summary>Write 1 to clear, sticky.</summary>
    RW1CS,
    /// <summary>
    /// RW in the specification, but writing 1 starts an action and the bit always reads 0 (Initiate FLR, Retrain Link,
    /// DPC Software Trigger, Electromechanical Interlock Control, Start BIST). A readback probe sees it read-only.
    /// </summary>
    Action,
}

/// <summary>Groupings of <see cref="BitAttribute"/> the simulator and the exports use.</summary>
public static class BitAttributes
{
    /// <summary>Takes the written value (RW, RWS).</summary>
    public static bool IsWritable(this BitAttribute a) => a is BitAttribute.RW or BitAttribute.RWS;

    /// <summary>Cleared by writing 1 (RW1C, RW1CS).</summary>
    public static bool IsWriteOneToClear(this BitAttribute a) => a is BitAttribute.RW1C or BitAttribute.RW1CS;

    /// <summary>Kept through a function-level or hot reset (RWS, RW1CS, ROS).</summary>
    public static bool IsSticky(this BitAttribute a) => a is BitAttribute.RWS or BitAttribute.RW1CS or BitAttribute.ROS;

    /// <summary>Ignores every write (everything but RW, RWS, RW1C, RW1CS and actions).</summary>
    public static bool IsReadOnly(this BitAttribute a) => !a.IsWritable() && !a.IsWriteOneToClear() && a != BitAttribute.Action;
}
