using Preconfig.ConfigSpace.Registers;
using Preconfig.ConfigSpace.Specification;

namespace Preconfig.ConfigSpace.Simulation;

/// <summary>What one piece of dirt does: software writes a register, or hardware latches status bits.</summary>
public enum DirtKind : byte
{
    /// <summary>The register's <see cref="Dirt.Mask"/> bits take <see cref="Dirt.Value"/> (writable bits only).</summary>
    Write,
    /// <summary>Hardware sets the write-1-to-clear bits of <see cref="Dirt.Value"/> (an error or event latched).</summary>
    Latch,
}

/// <summary>One register of one function changed by "the kernel ran".</summary>
public readonly record struct Dirt(PciAddress Address, int Offset, int Width, uint Value, uint Mask, DirtKind Kind, string Register)
{
    public override string ToString() =>
        $"{Address} {Register} @0x{Offset:x3}: {(Kind == DirtKind.Write ? "write" : "latch")} 0x{Value:x} mask 0x{Mask:x}";
}

/// <summary>
/// "The kernel ran": what a production kernel, its drivers and the hardware leave behind in config space when it
/// crashes. Every writable bit of every register the specification table covers takes a random value software may
/// write (legal D-states, payload sizes within DevCap, completion timeouts within the supported ranges ...), and
/// random write-1-to-clear status bits are latched as hardware would. On top, what drivers always do: Bus Master and
/// memory decode on, MSI and MSI-X enabled. Never touched: resource assignments (BARs, ROM, bridge windows, bus
/// numbers: the kernel keeps firmware's, and preinit refuses to move them), action bits (Initiate FLR, Retrain
/// Link: they read 0, there is no state to leave) and reset levels (Secondary Bus Reset, CardBus Reset: the kernel
/// holds them for 2 ms; a crash inside that pulse is another scenario than "the kernel ran").
/// </summary>
public static class KernelRun
{
    /// <summary>Dirties every function of the machine; returns how many functions changed.</summary>
    public static int Dirty(SimulatedMachine machine, int seed)
    {
        var before = machine.Functions.ToDictionary(f => f.Address, f => f.Space.Snapshot());
        Apply(machine, Plan(machine, seed));
        return machine.Functions.Count(f => !before[f.Address].AsSpan().SequenceEqual(f.Space.Snapshot()));
    }

    /// <summary>The dirt <see cref="Dirty(SimulatedMachine, int)"/> applies, without applying it.</summary>
    public static List<Dirt> Plan(SimulatedMachine machine, int seed)
    {
        var dirt = new List<Dirt>();
        foreach (var f in machine.Functions)
            dirt.AddRange(Plan(f.Space, new Random(Mix(seed, f.Address))));
        return dirt;
    }

    /// <summary>One function's seed: the same in every process (HashCode.Combine is randomized per process), so a seed
    /// names one crash for `sim dirty --seed N` and for the property test's replays.</summary>
    private static int Mix(int seed, PciAddress a)
    {
        unchecked
        {
            uint h = (uint)seed * 0x9e3779b1u ^ (uint)a.Domain * 0x85ebca77u ^ (uint)(a.Bus << 8 | a.DevFn) * 0xc2b2ae3du;
            h ^= h >> 15;
            h *= 0x2c1b3c6du;
            h ^= h >> 13;
            return (int)(h & 0x7fffffff);
        }
    }

    /// <summary>Dirt for one function, drawn from <paramref name="rng"/>.</summary>
    public static List<Dirt> Plan(SimulatedConfigSpace space, Random rng)
    {
        var dirt = new List<Dirt>();
        var now = space.Snapshot();
        foreach (var r in space.Masks.Attributes.Registers)
        {
            uint writable = r.Writable & ~r.ResourceBits & ~r.ResetTriggerBits;
            if (writable != 0)
            {
                uint current = Read(now, r.Offset, r.Width);
                uint value = Forced(r, LegalRandom(r, current, writable, rng));
                dirt.Add(new Dirt(space.Address, r.Offset, r.Width, value & writable, writable, DirtKind.Write, Name(r)));
            }
            uint rw1c = r.WriteOneToClear;
            if (rw1c != 0)
            {
                uint latched = rw1c & RandomBits(rng, r.Width);
                if (latched != 0) dirt.Add(new Dirt(space.Address, r.Offset, r.Width, latched, rw1c, DirtKind.Latch, Name(r)));
            }
        }
        return dirt;
    }

    /// <summary>Applies dirt as the running kernel and the hardware would leave it (no write side effects: a crash
    /// leaves state, it does not replay writes).</summary>
    public static void Apply(SimulatedMachine machine, IEnumerable<Dirt> dirt)
    {
        Span<byte> buffer = stackalloc byte[4];
        foreach (var d in dirt)
        {
            var space = machine[d.Address].Space;
            if (d.Width > 4 || d.Offset + d.Width > space.Length) continue;
            var now = space.Snapshot();
            var bytes = buffer[..d.Width];
            for (int i = 0; i < d.Width; i++)
            {
                int at = d.Offset + i;
                byte mask = (byte)(d.Mask >> (8 * i)), value = (byte)(d.Value >> (8 * i));
                bytes[i] = d.Kind == DirtKind.Write
                    ? (byte)((now[at] & ~(mask & space.Masks.Writable[at])) | (value & mask & space.Masks.Writable[at]))
                    : (byte)(now[at] | (value & mask & space.Masks.WriteOneToClear[at]));
            }
            space.Poke(d.Offset, bytes);
        }
    }

    public static string Name(ResolvedRegister r) => $"{r.Structure.Name} {r.Spec.Name}";

    /// <summary>A random value for the writable bits; a field whose random value software may not write keeps
    /// drawing (a few times), else keeps its present value.</summary>
    private static uint LegalRandom(ResolvedRegister r, uint current, uint writable, Random rng)
    {
        uint value = (current & ~writable) | (RandomBits(rng, r.Width) & writable);
        foreach (var f in r.Spec.Fields)
        {
            if (f.Legal is null || (f.Mask & writable) == 0) continue;
            uint field = (value & f.Mask) >> f.Low;
            for (int attempt = 0; attempt < 8 && !f.Legal.Allows(r.Context, field); attempt++)
                field = (RandomBits(rng, 4) << f.Low & f.Mask) >> f.Low;
            if (!f.Legal.Allows(r.Context, field)) field = (current & f.Mask) >> f.Low;
            value = (value & ~f.Mask) | (field << f.Low & f.Mask);
        }
        return value;
    }

    /// <summary>What drivers always leave on: Bus Master and memory decode, MSI and MSI-X enabled.</summary>
    private static uint Forced(ResolvedRegister r, uint value)
    {
        if (r.Structure.Key.Kind == StructureKind.Header && r.Spec.Offset == Header.Command)
            return value | (uint)(Command.BusMaster | Command.Memory);
        if (r.Structure.Key == StructureKey.Capability((int)CapabilityId.Msi) && r.Spec.Offset == Msi.Flags)
            return value | Msi.FlagsEnable;
        if (r.Structure.Key == StructureKey.Capability((int)CapabilityId.MsiX) && r.Spec.Offset == MsiX.Flags)
            return value | MsiX.FlagsEnable;
        return value;
    }

    private static uint RandomBits(Random rng, int width) => width >= 4 ? (uint)rng.NextInt64(0, 1L << 32) : (uint)rng.Next(1 << (8 * width));

    private static uint Read(ReadOnlySpan<byte> cfg, int offset, int width)
    {
        uint v = 0;
        for (int i = 0; i < width && i < 4; i++) v |= (uint)cfg[offset + i] << (8 * i);
        return v;
    }
}
