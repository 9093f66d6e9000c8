using Preconfig.FullEdition.Status;

namespace Preconfig.Tests.Packaging;

/// <summary>
/// `preconfig status` (text) says what went wrong in the kdump path, from what preconfig-kdump-refresh (its status()
/// line) and preconfig-kdump-record (its save_into() note) write; planted FIFOs and links are not read.
/// </summary>
public sealed class KdumpNotesTests : IDisposable
{
    private readonly Capture.TempDir _dir = new();
    private string Crash => Path.Combine(_dir.Path, "crash");

    public void Dispose() => _dir.Dispose();

    private string Text(string refreshStatus)
    {
        var fs = new System.IO.Abstractions.FileSystem();
        var s = Fleet.PrometheusTextTests.Status();
        s.Stores.RemoveAt(1);
        string status = Path.Combine(_dir.Path, "run", "status.json");
        Daemon.DaemonStatusFile.Write(fs, status, s);
        var w = new StringWriter();
        StatusCommand.Run(fs, status, Crash, "text", w, DateTimeOffset.UtcNow, refreshStatus);
        return w.ToString();
    }

    [Fact]
    public void Status_shows_why_the_capture_kernel_has_no_handoff_and_why_preinit_left_no_report()
    {
        string refresh = _dir.File("state/kdump-refresh.status",
            "2026-12-05T11:00:00Z no-handoff: /var/lib/preconfig/handoff.pcfg does not verify with /etc/preconfig/handoff.key: signature: mismatch (not embedded)\n");
        string older = _dir.File("crash/202612041000/" + CaptureKernelRun.RecordName, Fleet.CaptureKernelRunTests.Report);
        File.SetLastWriteTimeUtc(older, DateTime.UtcNow.AddDays(-1));
        _dir.File("crash/202612051100/" + KdumpNotes.MissingName,
            "preconfig: no preinit report in this capture kernel (/run/preconfig/preinit.json missing; preinit: exit 139; see the kernel log, preconfig-boot lines)\n");
        string text = Text(refresh);
        Assert.Contains("kdump initramfs: 2026-12-05T11:00:00Z no-handoff: /var/lib/preconfig/handoff.pcfg does not verify", text);
        Assert.Contains(Path.Combine(Crash, "202612051100") + ": no preinit report: preconfig: no preinit report in this capture kernel", text);
        Assert.Contains("preinit: exit 139", text);
    }

    [Fact]
    public void A_note_older_than_the_last_report_is_not_shown_and_a_fifo_is_not_read()
    {
        string note = _dir.File("crash/202612041000/" + KdumpNotes.MissingName, "preconfig: no preinit report (old)\n");
        File.SetLastWriteTimeUtc(note, DateTime.UtcNow.AddDays(-1));
        _dir.File("crash/202612051100/" + CaptureKernelRun.RecordName, Fleet.CaptureKernelRunTests.Report);
        string fifo = Path.Combine(_dir.Path, "state", "kdump-refresh.status");
        Directory.CreateDirectory(Path.GetDirectoryName(fifo)!);
        Assert.Equal(0, ShellScript.RunCommand("mkfifo", [fifo]).Code);
        var text = Task.Run(() => Text(fifo));
        Assert.True(text.Wait(TimeSpan.FromSeconds(20)), "status blocked on a FIFO");
        Assert.DoesNotContain("no preinit report", text.Result);
        Assert.DoesNotContain("kdump initramfs:", text.Result);
    }
}
