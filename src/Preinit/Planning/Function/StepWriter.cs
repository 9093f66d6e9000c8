namespace Preconfig.Preinit.Planning.Function;

/// <summary>
/// Makes one phase's steps on one function: each step is compared with what the register will hold at that point
/// (the projection) and left out when it already holds the wanted bits, so the dry-run lists exactly what the apply
/// writes; a step made is applied to the projection. The steps go to the owner's lists: the function itself,
/// or the downstream component for a link partner's side of an L1 PM substates restore.
/// </summary>
internal readonly struct StepWriter(FunctionPlan function, StepPhase phase, FunctionPlan owner)
{
    public FunctionPlan Function => function;

    /// <summary>The captured value through <paramref name="mask"/>; nothing (noted) when the capture does not hold it.</summary>
    public void Restore(Reg reg, uint mask, string description, uint rw1c = 0, bool force = false, TimeSpan settle = default)
    {
        if (!function.Exists(reg)) return;
        if (!function.IsCaptured(reg)) { function.NotCaptured(reg); return; }
        Write(reg, function.ReadCaptured(reg) & mask, mask, description, rw1c, force, settle);
    }

    /// <summary><paramref name="value"/> through <paramref name="mask"/>, as setpci's read-modify-write; the
    /// <paramref name="rw1c"/> bits are written as 0 (they keep what they hold).</summary>
    public void Write(Reg reg, uint value, uint mask, string description, uint rw1c = 0, bool force = false, TimeSpan settle = default)
    {
        if (!function.Exists(reg)) return;
        uint current = function.Read(reg);
        // Already holding the wanted bits (PlanStep.Satisfied, checked before the step is made: most are).
        if (!force && !function.AfterReset && (current & mask) == (value & mask)) return;
        var step = new PlanStep
        {
            Address = function.Address, Phase = phase,
            Offset = reg.Offset, Width = reg.Width,
            Value = value & mask, Mask = mask | rw1c, Check = mask, Expected = value & mask,
            Register = reg.SetpciName(function.Type), Description = description, Force = force, Settle = settle,
        };
        owner.Add(step);
        function.Store(reg, (step.Merge(current) & ~rw1c) | (current & rw1c));
    }

    /// <summary>Ones into the write-1-to-clear <paramref name="rw1c"/> bits that are set now.
    /// <paramref name="keep"/>: the register's other write-1-to-clear bits, written as 0 so the read-modify-write does
    /// not clear them too (DevSta's Emergency Power Reduction Detected).</summary>
    public void Clear(Reg reg, uint rw1c, string description, uint keep = 0)
    {
        if (!function.Exists(reg)) return;
        uint set = function.Read(reg) & rw1c;
        if (set == 0) return;
        owner.Add(new PlanStep
        {
            Address = function.Address, Phase = phase, Kind = StepKind.ClearStatus,
            Offset = reg.Offset, Width = reg.Width, Value = set, Mask = set | keep, Check = set, Expected = 0,
            Register = reg.SetpciName(function.Type), Description = description,
        });
        function.Store(reg, function.Read(reg) & ~set);
    }
}
