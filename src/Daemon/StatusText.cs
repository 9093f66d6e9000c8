using System.Globalization;
using System.IO.Abstractions;
using System.Text;

namespace Preconfig.Daemon;

/// <summary>The human view of <see cref="DaemonStatus"/> that <c>preconfig status</c> prints.</summary>
public static class StatusText
{
    public static string Format(DaemonStatus s, IFileSystem fs)
    {
        var sb = new StringBuilder();
        string state = s.State;
        // A "running" status whose process is gone was left by a daemon that was killed.
        if (state != "stopped" && s.Pid > 0 && !fs.Directory.Exists($"/proc/{s.Pid}")) state += " (but process is gone)";
        sb.Append(CultureInfo.InvariantCulture, $"daemon: {state}, pid {s.Pid}, started {Time(s.StartedAt)}\n");
        sb.Append(CultureInfo.InvariantCulture,
            $"last capture: {(s.LastCaptureAt is { } t ? Time(t) : "none yet")}, {s.DeviceCount} functions, {s.Captures} captures, sources {string.Join(' ', s.Sources)}\n");
        foreach (var w in s.Warnings) sb.Append("warning: ").Append(w).Append('\n');
        foreach (var st in s.Stores)
        {
            string detail = st.Ok
                ? $"{st.Result}, {st.Bytes} bytes, last written {(st.LastWriteAt is { } w ? Time(w) : "-")}"
                : $"{st.Result}: {st.Error}";
            sb.Append(CultureInfo.InvariantCulture, $"store {st.Store}: {(st.Ok ? "ok" : "FAILED")} ({detail})\n");
        }
        return sb.ToString();
    }

    private static string Time(DateTimeOffset t) => t.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
