using Preconfig.ConfigSpace;
using Preconfig.ConfigSpace.Lspci;
using Preconfig.ConfigSpace.Simulation;

namespace Preconfig.Bench.Capture;

/// <summary>
/// A large machine from the real dumps: copies of several dumps, the n-th placed in domains n*16 + its own (the way
/// bench/scripts/capture-vs-lspci.sh builds its sysfs tree), cut to exactly <c>count</c> functions.
/// </summary>
internal static class BigMachine
{
    private static readonly string[] Dumps =
    [
        "pciutils-tests/tree-asus-p6t6", "pciutils-tests/tree-fujitsu-p8010", "pciutils-tests/PCI-X-bridges-and-domains",
        "openpower-talos2/lspci.log", "pciutils-tests/tree-fsl-p2020", "pciutils-tests/cap-vc-and-rcl",
    ];

    public static SimulatedMachine Create(int count)
    {
        string root = FindDumps();
        var parsed = Dumps.Select(d => LspciDumpReader.ReadFile(Path.Combine(root, d))).ToList();
        var functions = new List<LspciFunction>();
        for (int n = 0; functions.Count < count; n++)
        {
            var dump = parsed[n % parsed.Count];
            foreach (var f in dump.Functions)
            {
                if (functions.Count == count) break;
                var a = f.Address;
                functions.Add(f with { Address = new PciAddress(n * 16 + a.Domain, a.Bus, a.Device, a.Function) });
            }
        }
        return SimulatedMachine.FromDump(new LspciDump("big", functions, []));
    }

    private static string FindDumps()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Preconfig.sln")))
                return Path.Combine(dir.FullName, "fixtures", "real-dumps");
        }
        throw new DirectoryNotFoundException("fixtures/real-dumps not found above the benchmark");
    }
}
