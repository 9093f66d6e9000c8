using System.CommandLine;
using System.Text.Json;
using Preconfig.Cli;
using Preconfig.FullEdition;
using Preconfig.Cli.Capture;
using Preconfig.FullEdition.Export;
using Preconfig.Cli.Verify;
using Preconfig.Handoff;

namespace Preconfig.Tests.Handoff;

/// <summary>The capture, export and verify verbs, run in-process (their output goes to the console; files and exit codes are checked).</summary>
[Collection("console")]
public class HandoffVerbTests
{
    private static readonly FileSystem Fs = new();
    private static string Asus => Path.Combine(HandoffTestData.RealDumps, "pciutils-tests", "tree-asus-p6t6");

    private static int Cli(params string[] args)
    {
        var root = new RootCommand();
        foreach (var v in FullVerbs.All()) root.Subcommands.Add(v);
        return CliRunner.Run(root, args);
    }

    [Fact]
    public void Capture_writes_every_store_and_verify_accepts_each()
    {
        string dir = HandoffTestData.TempDir();
        string key = Path.Combine(dir, "a.key"), other = Path.Combine(dir, "b.key"), mem = Path.Combine(dir, "mem");
        File.WriteAllBytes(key, Enumerable.Range(0, 32).Select(i => (byte)i).ToArray());
        File.WriteAllBytes(other, new byte[32]);
        File.WriteAllBytes(mem, new byte[256 * 1024]);
        string[] stores = [Path.Combine(dir, "h.pcfg"), $"devmem:{mem}@0x1000+128K", "initrd:" + Path.Combine(dir, "a.cpio.gz")];
        Assert.Equal(0, CaptureCommand.Run(["lspci:" + Asus], stores, key, Fs));
        foreach (string store in stores)
        {
            Assert.Equal(0, VerifyCommand.Run(store, key, Fs));
            Assert.Equal(0, VerifyCommand.Run(store, null, Fs));
            Assert.Equal(1, VerifyCommand.Run(store, other, Fs));
            var report = HandoffVerifier.Verify(HandoffStore.Parse(store, Fs), new HandoffKey(File.ReadAllBytes(key), key));
            Assert.Contains(report.Lines, l => l.StartsWith("integrity: ok"));
            Assert.Contains(report.Lines, l => l.StartsWith("signature: ok"));
            Assert.Contains("functions: 53 (34 x 256 B, 19 x 4096 B)", report.Lines);
            Assert.Contains(report.Lines, l => l == "sources: lspci:" + Asus);
        }
        // Unsigned blob, key required: invalid. A damaged blob: invalid. Missing: unreadable (2).
        string plain = Path.Combine(dir, "plain.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["lspci:" + Asus], [plain], null, Fs));
        Assert.Equal(1, VerifyCommand.Run(plain, key, Fs));
        var bytes = File.ReadAllBytes(plain);
        bytes[100] ^= 1;
        File.WriteAllBytes(plain, bytes);
        Assert.Equal(1, VerifyCommand.Run(plain, null, Fs));
        Assert.Equal(1, VerifyCommand.Run(Asus, null, Fs));
        Assert.Equal(2, Cli("verify", Path.Combine(dir, "missing.pcfg")));
        Assert.Equal(2, Cli("capture", "--source", "sysfs:" + Path.Combine(dir, "no-such-root"), "--out", Path.Combine(dir, "x.pcfg")));
        Assert.Equal(2, Cli("capture", "--source", "lspci:" + Asus, "--out", "devmem:bad"));
    }

    [Fact]
    public void Export_msgpack_is_the_full_body_json_and_lspci_round_trip()
    {
        string dir = HandoffTestData.TempDir();
        string blob = Path.Combine(dir, "h.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["lspci:" + Asus], [blob], null, Fs));
        var snapshot = HandoffBlob.Read(File.ReadAllBytes(blob)).Snapshot;

        string mp = Path.Combine(dir, "body.msgpack");
        Assert.Equal(0, Cli("export", blob, "--format", "msgpack", "--out", mp));
        string py = PythonMsgpack.Run("""
            import msgpack, sys
            b = msgpack.unpackb(open(sys.argv[1], "rb").read(), raw=False)
            print(b["version"], len(b["devices"]), sorted({len(d["config"]) for d in b["devices"]}), b["devices"][0]["address"])
            """, mp);
        Assert.Equal("1 53 [256, 4096] 0000:00:00.0", py.Trim());
        Assert.Equal(SnapshotBody.CurrentVersion, snapshot.FormatVersion);
        HandoffTestData.AssertSame(snapshot, SnapshotBody.Decode(File.ReadAllBytes(mp)), version: 1);

        string json = Path.Combine(dir, "s.json");
        Assert.Equal(0, Cli("export", blob, "--format", "json", "--out", json));
        using var doc = JsonDocument.Parse(File.ReadAllText(json));
        var first = doc.RootElement.GetProperty("devices")[0];
        Assert.Equal("0000:00:00.0", first.GetProperty("address").GetString());
        Assert.Equal("8086", first.GetProperty("vendor").GetString());
        Assert.Equal(Convert.ToHexStringLower(snapshot.Devices[0].Config), first.GetProperty("config").GetString());

        string text = Path.Combine(dir, "s.txt");
        Assert.Equal(0, Cli("export", blob, "--format", "lspci", "--out", text));
        var dump = LspciDumpReader.ReadFile(text);
        Assert.Empty(dump.Problems);
        Assert.Equal(snapshot.Devices.Select(d => d.Config), dump.Functions.Select(f => f.Config));

        Assert.Equal(2, Cli("export", blob, "--format", "yaml", "--out", text));
    }
}
