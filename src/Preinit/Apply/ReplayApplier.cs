using Preconfig.ConfigSpace;
using Preconfig.Preinit.Planning;

namespace Preconfig.Preinit.Apply;

public enum StepOutcome
{
    /// <summary>Written and read back as wanted.</summary>
    Done,
    /// <summary>Already held the wanted value when its turn came: not written.</summary>
    AlreadySet,
    /// <summary>Written, but never read back as wanted within the retries, or the access failed.</summary>
    Failed,
    /// <summary>Not attempted: the deadline passed, or the device had gone.</summary>
    NotDone,
}

/// <param name="Before">For a clear step: the register as read just before the function's error status was cleared
/// (the evidence the crash left latched).</param>
public sealed record StepResult(PlanStep Step, StepOutcome Outcome, int Writes, string? Error = null, ResetResult? Reset = null, uint? Before = null)
{
    public bool Verified => Outcome is StepOutcome.Done or StepOutcome.AlreadySet;
}

/// <summary>One error status register as read before it was cleared.</summary>
public sealed record ClearedRegister(string Register, int Offset, int Width, uint Value)
{
    /// <summary>The value in hex at the register's width: <c>0x4010</c>, <c>0x00100000</c>.</summary>
    public string Hex => $"0x{Value.ToString(Width == 2 ? "x4" : Width == 1 ? "x2" : "x8")}";

    public override string ToString() => $"{Register}={Hex}";
}

/// <summary>
/// Runs a plan: for each write, compare the register with the wanted bits and skip it when it already holds them,
/// write, read back, retry a bounded number of times. The compare uses what this run last read from the register (the
/// matching read, then every read-back), which saves a config read per step: nothing else writes config space before
/// drivers bind. Clear steps and everything after a reset read the device afresh. A device that vanishes or reads all
/// ones stops its own steps only; the deadline stops everything and the rest is reported as not done, except a reset
/// unit already started (<see cref="UnitGate"/>): it runs to its end under the hard deadline.
/// </summary>
public static class ReplayApplier
{
    public static IReadOnlyList<StepResult> Apply(ReplayPlan plan, IPciAccess access, ApplyOptions options)
    {
        var results = new List<StepResult>(plan.Steps.Count);
        // One entry per function the plan touches, looked up once per step (the steps of a function mostly follow
        // each other, so the last one is kept at hand).
        var functions = new Dictionary<PciAddress, FunctionState>();
        FunctionState StateOf(PciAddress address)
        {
            if (!functions.TryGetValue(address, out var f)) functions[address] = f = new FunctionState();
            return f;
        }
        var resets = new VerifiedReset(access, options);
        // The mirror reaches only as far as the function's last register a step touches (most steps are in the header
        // or low capabilities; copying every 4 KiB space was a fifth of what a run allocated). Per function too, the
        // registers its clear steps will clear, read just before the first clear.
        foreach (var s in plan.Steps)
        {
            var f = StateOf(s.Address);
            if (s.Kind != StepKind.Reset && s.Offset + s.Width > f.Reach) f.Reach = s.Offset + s.Width;
            if (s.Kind == StepKind.ClearStatus) (f.Clears ??= []).Add(s);
        }
        foreach (var m in plan.Matches)
            if (m.Present is not null && functions.TryGetValue(m.Address, out var f) && f.Reach > 0)
                f.Mirror = m.Present[..Math.Min(f.Reach, m.Present.Length)];
        PciAddress lastAddress = default;
        FunctionState? last = null;
        var units = new UnitGate(plan, access, options);
        for (int i = 0; i < plan.Steps.Count; i++)
        {
            var step = plan.Steps[i];
            if (units.Refused(i) is { } refused)
            {
                results.Add(new StepResult(step, StepOutcome.NotDone, 0, refused));
                continue;
            }
            var deadline = units.Deadline(i);
            if (deadline.Expired)
            {
                results.Add(new StepResult(step, StepOutcome.NotDone, 0, deadline == options.Deadline ? "deadline reached" : "hard deadline reached"));
                continue;
            }
            if (last is null || step.Address != lastAddress) (last, lastAddress) = (functions[step.Address], step.Address);
            var function = last;
            if (function.Gone is { } why)
            {
                results.Add(new StepResult(step, StepOutcome.NotDone, 0, why));
                continue;
            }
            StepResult result;
            try
            {
                var space = function.Space ??= access.Open(step.Address);
                if (step.Kind == StepKind.Reset)
                {
                    result = DoReset(step, resets, deadline, units.RestoreAllowance);
                    function.Mirror = null; // unknown after a reset: read the device from here on
                    if (result.Reset is { StillRunning: true }) function.Gone = "the kernel was still resetting it at the deadline";
                }
                else
                {
                    uint? before = null;
                    if (step.Kind == StepKind.ClearStatus)
                    {
                        var read = function.Evidence ??= Evidence(step.Address, space, function.Clears!, options);
                        if (read.TryGetValue(step, out uint v)) before = v;
                    }
                    // The evidence was read just now: a bit latched since stays set (written as 0), a later run clears it.
                    result = DoWrite(step, space, options, deadline, function.Mirror, before);
                    if (before is not null) result = result with { Before = before };
                    // A D-state change: the function must not be accessed again before the spec's delay.
                    if (result.Writes > 0 && step.Settle > TimeSpan.Zero) Settle(step.Settle, options, deadline);
                }
            }
            catch (DeviceRemovedException e)
            {
                result = new StepResult(step, StepOutcome.Failed, 0, $"device gone: {e.Message}");
                function.Gone = "device gone";
            }
            catch (IOException e)
            {
                result = new StepResult(step, StepOutcome.Failed, 0, e.Message);
            }
            if (result.Outcome == StepOutcome.Failed && result.Error is { } err && err.StartsWith("device gone", StringComparison.Ordinal))
                function.Gone ??= "device gone";
            results.Add(result);
        }
        return results;
    }

    /// <summary>What the apply keeps of one function: its open space, what its registers read last (the bytes matching
    /// read, kept up to date by every read-back), why its steps stopped, and its clear steps' evidence.</summary>
    private sealed class FunctionState
    {
        public IConfigSpace? Space;
        public byte[]? Mirror;
        public int Reach;
        public string? Gone;
        public List<PlanStep>? Clears;
        public Dictionary<PlanStep, uint>? Evidence;
    }

    /// <summary>Reads every register the function's clear steps will clear, before any of them is written, and hands
    /// them to <see cref="ApplyOptions.BeforeClearing"/>. A read that fails leaves that register out.</summary>
    private static Dictionary<PlanStep, uint> Evidence(PciAddress address, IConfigSpace space, List<PlanStep> steps, ApplyOptions options)
    {
        // By reference: a step is a record, and hashing its strings for every clear cost more than the reads.
        var read = new Dictionary<PlanStep, uint>(ReferenceEqualityComparer.Instance);
        foreach (var s in steps)
        {
            try { read[s] = Read(space, s.Offset, s.Width); }
            catch (IOException) { }
        }
        if (read.Count > 0 && options.BeforeClearing is { } log)
        {
            var found = new List<ClearedRegister>(read.Count);
            foreach (var s in steps)
                if (read.TryGetValue(s, out uint value)) found.Add(new ClearedRegister(s.Register, s.Offset, s.Width, value));
            log(address, found);
        }
        return read;
    }

    /// <summary>A reset is done when config space shows it took effect (or cannot show it: no MSI/MSI-X, reported as
    /// not verifiable); otherwise it failed, and the restore steps still run.</summary>
    private static StepResult DoReset(PlanStep step, VerifiedReset resets, Deadline deadline, TimeSpan restore)
    {
        var r = resets.Run(step, deadline, restore);
        if (r.Verified || !r.Verifiable) return new StepResult(step, StepOutcome.Done, 0, null, r);
        var attempts = new List<string>(r.Attempts.Count);
        foreach (var a in r.Attempts) attempts.Add($"{a.Method}: {a.Status}, {a.Evidence}".TrimEnd(' ', ','));
        string error = "reset not verified: " + string.Join("; ", attempts);
        return new StepResult(step, StepOutcome.Failed, 0, error, r);
    }

    /// <param name="justRead">The register as read a moment ago (a clear step's evidence): not read again.</param>
    private static StepResult DoWrite(PlanStep step, IConfigSpace space, ApplyOptions options, Deadline deadline, byte[]? mirror, uint? justRead = null)
    {
        bool fresh = mirror is null || step.Kind == StepKind.ClearStatus || step.Offset + step.Width > mirror.Length;
        uint current = justRead ?? (fresh ? Read(space, step.Offset, step.Width) : Read(mirror!, step.Offset, step.Width));
        if (fresh && IsGone(space, step, current)) return new StepResult(step, StepOutcome.Failed, 0, "device gone: reads all ones");
        if (!step.Force && step.Satisfied(current)) return new StepResult(step, StepOutcome.AlreadySet, 0);
        // The same read-modify-write setpci does. For a clear step the other bits written back are read-only or
        // error bits of the same register, so the write clears errors and changes nothing else.
        uint value = step.Merge(current);
        int writes = 0;
        for (int attempt = 0; attempt <= options.Retries; attempt++)
        {
            if (attempt > 0 && options.RetryDelay > TimeSpan.Zero) Thread.Sleep(options.RetryDelay);
            Write(space, step.Offset, step.Width, value);
            writes++;
            current = Read(space, step.Offset, step.Width);
            if (mirror is not null && step.Offset + step.Width <= mirror.Length) Store(mirror, step.Offset, step.Width, current);
            if (step.Satisfied(current)) return new StepResult(step, StepOutcome.Done, writes);
            if (IsGone(space, step, current)) return new StepResult(step, StepOutcome.Failed, writes, "device gone: reads all ones");
            if (deadline.Expired) break;
        }
        return new StepResult(step, StepOutcome.Failed, writes,
            $"{step.Register} reads 0x{current & step.Check:x} after {writes} write(s), wanted 0x{step.Expected & step.Check:x} (mask 0x{step.Check:x})");
    }

    private static void Settle(TimeSpan wanted, ApplyOptions options, Deadline deadline)
    {
        var left = deadline.Remaining;
        var span = wanted < left ? wanted : left;
        if (span > TimeSpan.Zero) options.Sleep(span);
    }

    /// <summary>All ones in the register and in the vendor ID: the function stopped answering.</summary>
    private static bool IsGone(IConfigSpace space, PlanStep step, uint current)
    {
        uint ones = step.Width switch { 1 => 0xffu, 2 => 0xffffu, _ => 0xffffffffu };
        return current == ones && space.ReadWord(0) == 0xffff;
    }

    private static uint Read(IConfigSpace space, int offset, int width) => width switch
    {
        1 => space.ReadByte(offset),
        2 => space.ReadWord(offset),
        _ => space.ReadDword(offset),
    };

    private static uint Read(byte[] bytes, int offset, int width) => width switch
    {
        1 => ConfigBytes.U8(bytes, offset),
        2 => ConfigBytes.U16(bytes, offset),
        _ => ConfigBytes.U32(bytes, offset),
    };

    private static void Store(byte[] bytes, int offset, int width, uint value)
    {
        for (int i = 0; i < width; i++) bytes[offset + i] = (byte)(value >> (8 * i));
    }

    private static void Write(IConfigSpace space, int offset, int width, uint value)
    {
        switch (width)
        {
            case 1: space.WriteByte(offset, (byte)value); break;
            case 2: space.WriteWord(offset, (ushort)value); break;
            default: space.WriteDword(offset, value); break;
        }
    }
}
