using System.Text.Json;
using Preconfig.FullEdition.Status;

namespace Preconfig.Tests.Fleet;

public sealed class StatusCommandTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly FileSystem _fs = new();
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);

    public void Dispose() => _dir.Dispose();

    private string StatusFile(DaemonStatus s)
    {
        string path = Path.Combine(_dir.Path, "run", "status.json");
        DaemonStatusFile.Write(_fs, path, s);
        return path;
    }

    private string Crash => Path.Combine(_dir.Path, "crash");

    private (int Code, string Out) Run(string statusFile, string format)
    {
        var w = new StringWriter();
        int code = StatusCommand.Run(_fs, statusFile, Crash, format, w, Now);
        return (code, w.ToString());
    }

    [Fact]
    public void The_json_option_still_prints_the_status_file_as_it_is()
    {
        string path = StatusFile(PrometheusTextTests.Status());
        var (code, output) = Run(path, "raw");
        Assert.Equal(File.ReadAllText(path), output);
        Assert.Equal(1, code); // a store failed
    }

    [Fact]
    public void Text_shows_the_last_capture_kernel_run_beside_the_daemon()
    {
        var ok = PrometheusTextTests.Status();
        ok.Stores.RemoveAt(1);
        string path = StatusFile(ok);
        Assert.Contains("last capture-kernel run: none recorded under " + Crash, Run(path, "text").Out);

        _dir.File("crash/202611301202/" + CaptureKernelRun.RecordName, CaptureKernelRunTests.Report);
        var (code, output) = Run(path, "text");
        Assert.Equal(0, code);
        Assert.Contains("41 functions", output);
        Assert.Contains("last capture-kernel run: ", output);
        Assert.Contains("4 functions (1 quiesced, 2 restored, 1 skipped) in 4.25 ms, 2 error registers cleared", output);
        Assert.Contains(Path.Combine(Crash, "202611301202", CaptureKernelRun.RecordName), output);
    }

    [Fact]
    public void Format_json_is_the_fleet_document()
    {
        _dir.File("crash/202611301202/" + CaptureKernelRun.RecordName, CaptureKernelRunTests.Report);
        var (code, output) = Run(StatusFile(PrometheusTextTests.Status()), "json");
        Assert.Equal(1, code);
        using var doc = JsonDocument.Parse(output);
        var r = doc.RootElement;
        Assert.Equal(90, r.GetProperty("snapshot").GetProperty("ageSeconds").GetDouble());
        Assert.True(r.GetProperty("snapshot").GetProperty("signed").GetBoolean());
        Assert.Equal(41, r.GetProperty("snapshot").GetProperty("functions").GetInt32());
        Assert.Equal("failed", r.GetProperty("stores")[1].GetProperty("result").GetString());
        var run = r.GetProperty("lastCaptureKernelRun");
        Assert.Equal(2, run.GetProperty("outcomes").GetProperty("restored").GetInt32());
        Assert.Equal(4.25, run.GetProperty("elapsedMs").GetDouble());
        Assert.Equal("running", r.GetProperty("daemon").GetProperty("state").GetString());
    }

    [Fact]
    public void Without_a_status_file_the_fleet_formats_still_print_and_exit_2()
    {
        string missing = Path.Combine(_dir.Path, "run", "none.json");
        var (code, output) = Run(missing, "prometheus");
        Assert.Equal(2, code);
        Assert.Equal(0, PromParser.Parse(output).One("preconfig_status_present").Value);
        (code, output) = Run(missing, "json");
        Assert.Equal(2, code);
        Assert.Equal(JsonValueKind.Null, JsonDocument.Parse(output).RootElement.GetProperty("daemon").ValueKind);
        Assert.Throws<FileNotFoundException>(() => Run(missing, "text"));
    }
}
