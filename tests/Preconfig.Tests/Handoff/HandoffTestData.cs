namespace Preconfig.Tests.Handoff;

/// <summary>Deterministic snapshots shaped like real ones: headers, capability chains, zero runs, 0xff tails.</summary>
internal static class HandoffTestData
{
    /// <summary>The real dumps the repository carries (fixtures/real-dumps).</summary>
    public static string RealDumps => RepoPaths.RealDumps;

    /// <summary>Every function of every real dump in one snapshot, each dump in its own domains (n-th dump: domain
    /// 16n + its own), each function's origin naming its dump.</summary>
    public static Snapshot EveryRealDump()
    {
        var devices = new List<DeviceRecord>();
        int domain = 0;
        foreach (string file in Directory.EnumerateFiles(RealDumps, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            if (file.EndsWith(".md", StringComparison.Ordinal) || file.EndsWith(".bin", StringComparison.Ordinal)) continue;
            var dump = Preconfig.ConfigSpace.Lspci.LspciDumpReader.ReadFile(file);
            domain += 16;
            foreach (var f in dump.Functions)
                devices.Add(new DeviceRecord
                {
                    Address = new(domain + f.Address.Domain, f.Address.Bus, f.Address.Device, f.Address.Function),
                    Config = f.Config,
                    Origins = [new ConfigOrigin(0, f.Config.Length, "lspci:" + Path.GetFileName(file), Pristineness.Unknown)],
                });
        }
        return new Snapshot { Sources = ["lspci"], Devices = Snapshot.Normalize(devices) };
    }

    public static byte[] Config(Random rng, int length)
    {
        var c = new byte[length];
        rng.NextBytes(c.AsSpan(0, 64));
        c[0x0e] = (byte)(rng.Next(3) == 0 ? 1 : 0); // header type 0 or 1
        if (length > 64)
        {
            // A few capabilities with zeros between, as real spaces have.
            for (int at = 0x40; at < 0x100; at += 0x10 + rng.Next(0x30))
                rng.NextBytes(c.AsSpan(at, Math.Min(8 + rng.Next(12), 0x100 - at)));
        }
        if (length == 4096)
        {
            for (int at = 0x100; at < 0x400; at += 0x40 + rng.Next(0x100))
                rng.NextBytes(c.AsSpan(at, Math.Min(16 + rng.Next(32), 0x400 - at)));
            if (rng.Next(4) == 0) c.AsSpan(0x800).Fill(0xff); // a dump that stopped: the rest reads all ones
        }
        return c;
    }

    public static Snapshot Sample(int devices, int seed = 1, bool withExtras = true)
    {
        var rng = new Random(seed);
        var list = new List<DeviceRecord>();
        for (int i = 0; i < devices; i++)
        {
            int length = (i % 5) switch { 0 => 64, 1 or 2 => 256, _ => 4096 };
            var address = new PciAddress(i % 7 == 6 ? 0x10000 : 0, (byte)(i / 8), (byte)(i % 8 * 3 % 32), (byte)(i % 3));
            list.Add(new DeviceRecord
            {
                Address = address,
                Config = Config(rng, length),
                Driver = withExtras && i % 2 == 0 ? "pcieport" : null,
                ResetMethods = withExtras && i % 3 == 0 ? ["flr", "bus"] : [],
                Resources = withExtras && i % 4 == 0 ? [new BarResource(0, 0xfe000000, 0xfe0fffff, 0x40200), new BarResource(2, 0x3800_0000_0000, 0x3800_00ff_ffff, 0x14220c)] : [],
                Origins = withExtras ? [new ConfigOrigin(0, length, "sim:machine.json", (Pristineness)(i % 4))] : [],
                Truncated = withExtras && i % 11 == 10,
            });
        }
        return new Snapshot
        {
            CapturedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_763_700_000_123 + seed),
            HostName = "host-" + seed,
            KernelRelease = "6.12.38+deb13-amd64",
            BootId = "3c2a9f1e-0d4b-4f5e-9a61-7b8c9d0e1f20",
            ToolVersion = "0.1.0",
            Sources = ["sim:machine.json"],
            Devices = Snapshot.Normalize(list),
        };
    }

    /// <summary>Every field equal; the body version too, unless <paramref name="version"/> says which the body had
    /// (an export is version 1 whatever the snapshot was read from).</summary>
    public static void AssertSame(Snapshot expected, Snapshot actual, int? version = null)
    {
        Assert.Equal(version ?? expected.FormatVersion, actual.FormatVersion);
        Assert.Equal(expected.CapturedAt.ToUnixTimeMilliseconds(), actual.CapturedAt.ToUnixTimeMilliseconds());
        Assert.Equal(expected.HostName, actual.HostName);
        Assert.Equal(expected.KernelRelease, actual.KernelRelease);
        Assert.Equal(expected.BootId, actual.BootId);
        Assert.Equal(expected.ToolVersion, actual.ToolVersion);
        Assert.Equal(expected.Sources, actual.Sources);
        Assert.Equal(expected.Devices.Count, actual.Devices.Count);
        for (int i = 0; i < expected.Devices.Count; i++) AssertSame(expected.Devices[i], actual.Devices[i]);
    }

    /// <summary>Every field of the record equal.</summary>
    public static void AssertSame(DeviceRecord expected, DeviceRecord actual)
    {
        Assert.Equal(expected.Address, actual.Address);
        Assert.Equal(expected.Config, actual.Config);
        Assert.Equal(expected.Driver, actual.Driver);
        Assert.Equal(expected.ResetMethods, actual.ResetMethods);
        Assert.Equal(expected.Resources, actual.Resources);
        Assert.Equal(expected.Origins, actual.Origins);
        Assert.Equal(expected.Truncated, actual.Truncated);
    }

    public static string TempDir()
    {
        string dir = Path.Combine(Path.GetTempPath(), "preconfig-handoff-" + Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
