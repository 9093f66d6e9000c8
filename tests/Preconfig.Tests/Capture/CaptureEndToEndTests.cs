using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Preconfig.Cli.Capture;
using Preconfig.Capture.Earlydump;
using static Preconfig.Tests.Capture.EarlydumpLogs;

namespace Preconfig.Tests.Capture;

/// <summary>Capture through the verbs and the daemon as a real process, on temp trees (never the real /sys).</summary>
public sealed class CaptureEndToEndTests : IDisposable
{
    private readonly CaptureMachine _m = new();
    private static readonly FileSystem Fs = new();

    private SysfsTree _tree => _m.Tree;
    private TempDir _dir => _m.Dir;
    private List<(PciAddress Address, byte[] Config)> _functions => _m.Functions;

    public void Dispose() => _m.Dispose();

    [Fact]
    public void Capture_merges_earlydump_headers_with_the_extended_bytes_of_sysfs()
    {
        // The kernel printed the firmware header; later a driver turned Bus Master on in the live space.
        string log = _dir.File("boot.log", Log(RealDump("pciutils-tests/tree-asus-p6t6").Functions, EarlydumpForm.HexDump, Prefix.Dmesg));
        var a = _functions.First(f => f.Config.Length == 4096).Address;
        var firmware = _m.DriverRan(a, "ahci");

        string blob = Path.Combine(_dir.Path, "h.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["sysfs:" + _tree.Root, "earlydump:" + log], [blob], null, Fs));

        var snapshot = InputLoader.Load(blob, Fs).Snapshot;
        Assert.Equal(["sysfs:" + _tree.Root, "earlydump:" + log], snapshot.Sources);
        Assert.Equal(_functions.Count, snapshot.Devices.Count);
        var d = snapshot.Find(a)!;
        Assert.Equal(firmware, d.Config); // Bus Master as firmware left it, the extended space from sysfs
        Assert.Equal("ahci", d.Driver);
        Assert.Equal(
            [new ConfigOrigin(0, 256, "earlydump:" + log, Pristineness.Firmware), new ConfigOrigin(256, 3840, "sysfs:" + _tree.Root, Pristineness.DriverBound)],
            d.Origins);
        Assert.All(snapshot.Devices, r => Assert.Equal(_functions.Single(f => f.Address == r.Address).Config, r.Config));
    }

    [Fact]
    public void An_early_snapshot_of_this_boot_beats_the_live_bytes_after_drivers_bound()
    {
        string early = Path.Combine(_dir.Path, "early.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["sysfs:" + _tree.Root], [early], null, Fs)); // the initramfs hook, before modules

        var a = _functions[5].Address;
        var firmware = _m.DriverRan(a, "xhci_hcd");

        string blob = Path.Combine(_dir.Path, "h.pcfg");
        Assert.Equal(0, CaptureCommand.Run(["sysfs:" + _tree.Root, "early:" + early], [blob], null, Fs));
        var d = InputLoader.Load(blob, Fs).Snapshot.Find(a)!;
        Assert.Equal(firmware, d.Config);
        Assert.Equal("xhci_hcd", d.Driver);
        Assert.Equal([new ConfigOrigin(0, firmware.Length, "early:" + early, Pristineness.Firmware)], d.Origins);
    }

    [Fact]
    public void A_missing_or_damaged_early_snapshot_is_a_warning_and_the_live_bytes_are_captured()
    {
        string missing = Path.Combine(_dir.Path, "absent.pcfg");
        string damaged = _dir.File("damaged.pcfg", "PCFG but not a blob");
        foreach (string early in new[] { missing, damaged })
        {
            string blob = Path.Combine(_dir.Path, "h.pcfg");
            var source = SnapshotSources.Open("early:" + early, Fs);
            var capture = source.Capture();
            Assert.Empty(capture.Devices);
            Assert.Contains(capture.Warnings, w => w.Contains("early:" + early) && w.Contains("not used"));
            Assert.Equal(0, CaptureCommand.Run(["early:" + early, "sysfs:" + _tree.Root], [blob], null, Fs));
            Assert.Equal(_functions.Count, InputLoader.Load(blob, Fs).Snapshot.Devices.Count);
        }
    }

    [Fact]
    public void A_capture_that_finds_no_function_writes_nothing()
    {
        string log = _dir.File("empty.log", "[    0.000000] Linux version 6.1\n");
        string blob = Path.Combine(_dir.Path, "h.pcfg");
        var e = Assert.Throws<InvalidDataException>(() => CaptureCommand.Run(["earlydump:" + log], [blob], null, Fs));
        Assert.Contains("no function captured from earlydump:" + log, e.Message);
        Assert.Contains("no pci=earlydump output found", e.Message);
        Assert.False(File.Exists(blob));
    }

    /// <summary>
    /// The daemon as systemd runs it (Type=notify): <c>$NOTIFY_SOCKET</c> a path or an abstract name ('@'), the
    /// notifications sent by Microsoft.Extensions.Hosting.Systemd's notifier and lifetime (turned on by the variable:
    /// this test's process is not systemd), SIGTERM to stop.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void The_daemon_process_notifies_systemd_writes_its_store_and_stops_cleanly_on_sigterm(bool abstractSocket)
    {
        string sock = abstractSocket ? "@preconfig-test-" + Guid.NewGuid().ToString("n") : Path.Combine(_dir.Path, "notify.sock");
        using var notify = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        notify.Bind(new UnixDomainSocketEndPoint(abstractSocket ? "\0" + sock[1..] : sock));
        notify.ReceiveTimeout = 60_000;
        string store = Path.Combine(_dir.Path, "handoff.pcfg"), status = Path.Combine(_dir.Path, "status.json");
        string config = _dir.File("preconfig.json", $$"""{ "sources": ["sysfs:{{_tree.Root}}"], "pollIntervalSeconds": 0.2 }""");

        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            Environment = { ["NOTIFY_SOCKET"] = sock, ["PRECONFIG_STATUSFILE"] = status },
        };
        foreach (string arg in new[] { Path.Combine(AppContext.BaseDirectory, "preconfig.dll"), "daemon", "--config", config, "--out", "file:" + store })
            psi.ArgumentList.Add(arg);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            Assert.StartsWith("STATUS=" + _functions.Count + " functions captured", Receive(notify));
            Assert.Equal("READY=1", Receive(notify)); // once the store holds the capture
            Assert.Equal(_functions.Count, InputLoader.Load(store, Fs).Snapshot.Devices.Count);

            Assert.Equal(0, kill(process.Id, 15)); // SIGTERM, as systemctl stop sends it
            Assert.True(process.WaitForExit(30_000), "the daemon did not stop within 30 s of SIGTERM");
            Assert.Equal(0, process.ExitCode);
            Assert.Equal("STOPPING=1", Receive(notify));
            Assert.StartsWith("STATUS=stopped; ", Receive(notify));
        }
        finally
        {
            if (!process.HasExited) process.Kill();
        }
        var s = DaemonStatusFile.Read(Fs, status);
        Assert.Equal("stopped", s.State);
        Assert.Equal(_functions.Count, s.DeviceCount);
        Assert.True(Assert.Single(s.Stores).Ok);
        string log = stdout.Result + stderr.Result;
        Assert.Contains("Captured " + _functions.Count + " functions", log);
        Assert.DoesNotContain("\u001b[", log); // not a terminal: no colour codes for journald
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[4096];
        int n = socket.Receive(buffer);
        return Encoding.UTF8.GetString(buffer, 0, n);
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);
}
