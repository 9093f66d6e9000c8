using System.IO.Abstractions;
using Preconfig.ConfigSpace.Simulation;
using Preconfig.ConfigSpace.Sysfs;
using Preconfig.Preinit.Loading;

namespace Preconfig.Cli.Preinit;

/// <summary>Turns a <c>--from</c> spec into a snapshot: the handoff stores, or a live source read now
/// (<c>sim:FILE</c>, <c>sysfs:ROOT</c>) for tests and the demo.</summary>
internal static class StoreReader
{
    public static LoadedSnapshot Read(IFileSystem fs, string spec, string? keyPath)
    {
        if (spec.StartsWith("sim:", StringComparison.Ordinal))
            return new LoadedSnapshot(AccessSnapshot.Capture(SimulatedMachine.Load(spec[4..]), spec), spec, 0);
        if (spec.StartsWith("sysfs:", StringComparison.Ordinal))
        {
            using var access = new SysfsPciAccess(fs, spec[6..], writable: false);
            return new LoadedSnapshot(AccessSnapshot.Capture(access, spec), spec, 0);
        }
        throw new IOException($"store '{spec}': blob stores are not available in this build yet (use sim:FILE or sysfs:ROOT)");
    }
}
