using System.Text;
using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Sysfs;

namespace Preconfig.Preinit.Planning;

/// <summary>
/// The plan as a shell script of setpci commands, in plan order: <c>setpci -s 0000:03:00.0 COMMAND=0x0402:0x0507</c>.
/// value:mask is what setpci writes as a read-modify-write, the same one the apply does, so running the script on a
/// copy of the tree leaves the same bytes. Resets are the sysfs writes that do them.
/// </summary>
public static class SetpciScript
{
    /// <param name="sysfsRoot">Where reset_method/reset live (<c>/sys/bus/pci</c> on a real host).</param>
    /// <param name="setpciOptions">Extra setpci options (<c>-A linux-sysfs -O sysfs.path=DIR</c>), or empty.</param>
    public static string Render(ReplayPlan plan, string sysfsRoot = Preconfig.ConfigSpace.Sysfs.SysfsConfigSpace.DefaultRoot, string setpciOptions = "")
    {
        var sb = new StringBuilder();
        var functions = new HashSet<PciAddress>();
        foreach (var s in plan.Steps) functions.Add(s.Address);
        sb.Append("# preconfig preinit plan: ").Append(plan.Steps.Count).Append(" step(s) on ")
          .Append(functions.Count).Append(" function(s)\n");
        string opts = setpciOptions.Length > 0 ? setpciOptions + " " : "";
        StepPhase? phase = null;
        foreach (var step in plan.Steps)
        {
            if (step.Phase != phase)
            {
                phase = step.Phase;
                sb.Append("# ").Append(PhaseTitle(step.Phase)).Append('\n');
            }
            if (step.Kind == StepKind.Reset)
            {
                // The first method; the apply tries the others only when config space shows no reset.
                for (int i = 0; i < step.ResetMethods.Count; i++)
                {
                    string method = step.ResetMethods[i];
                    string prefix = i == 0 ? "" : "# else: ";
                    if (method == "bridge" && step.ResetBridge is { } bridge)
                        sb.Append(prefix).Append($"setpci {opts}-s {bridge} BRIDGE_CONTROL=0x0040:0x0440 && sleep 0.002 && setpci {opts}-s {bridge} BRIDGE_CONTROL=0x0000:0x0440 && sleep 0.1\n");
                    else
                    {
                        string dir = $"{sysfsRoot.TrimEnd('/')}/devices/{step.Address}";
                        sb.Append(prefix).Append($"echo {SysfsPciAccess.ResetMethodSelection(method, step.ResetOffered)} > {dir}/reset_method && echo 1 > {dir}/reset\n");
                    }
                }
                continue;
            }
            // Bare commands (no trailing comment), so each line is exactly what setpci takes.
            sb.Append("setpci ").Append(opts).Append("-s ").Append(step.Address).Append(' ').Append(step.SetpciArgument).Append('\n');
            if (step.Settle > TimeSpan.Zero)
                sb.Append("sleep ").Append(step.Settle.TotalSeconds.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)).Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>The line a phase starts with (<see cref="Phases"/>: the capabilities' line lists <see cref="RestoreOrder"/>).</summary>
    public static string PhaseTitle(StepPhase phase) => Phases.Of(phase).Title;
}
