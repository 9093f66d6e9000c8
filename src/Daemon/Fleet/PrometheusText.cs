using System.Globalization;
using System.Text;

namespace Preconfig.Daemon.Fleet;

/// <summary>
/// <see cref="FleetStatus"/> in the Prometheus text exposition format (version 0.0.4), as node_exporter's textfile
/// collector reads it: every family with HELP and TYPE, label values escaped, no timestamps. Enumerations (a store's
/// result, the run's outcomes) are one series per value, 1 for the current one, so every series always exists.
/// </summary>
public static class PrometheusText
{
    public static readonly string[] StoreResults = ["pending", "written", "unchanged", "failed", "refused"];
    /// <summary>Outcomes always exported (others the report names are added).</summary>
    public static readonly string[] Outcomes = ["restored", "quiesced", "skipped", "failed", "left-to-kernel"];

    public static string Format(FleetStatus f)
    {
        var w = new Writer();
        w.Family("preconfig_status_present", "gauge", "1 when preconfig.service's status file exists (0: the daemon did not run this boot).");
        w.Sample("preconfig_status_present", f.Daemon is null ? 0 : 1);
        if (f.Daemon is { } d && f.Snapshot is { } s)
        {
            w.Family("preconfig_daemon_running", "gauge", "1 when preconfig.service is running (its status says so and its process exists).");
            w.Sample("preconfig_daemon_running", d.Running ? 1 : 0);
            w.Family("preconfig_snapshot_timestamp_seconds", "gauge", "When the handoff snapshot was last captured (Unix time; 0: never).");
            w.Sample("preconfig_snapshot_timestamp_seconds", s.CapturedAt is { } t ? t.ToUnixTimeMilliseconds() / 1000.0 : 0);
            if (s.AgeSeconds is { } age)
            {
                w.Family("preconfig_snapshot_age_seconds", "gauge", "Seconds since the handoff snapshot was captured, when these figures were written.");
                w.Sample("preconfig_snapshot_age_seconds", age);
            }
            w.Family("preconfig_functions_captured", "gauge", "PCI functions in the handoff snapshot.");
            w.Sample("preconfig_functions_captured", s.Functions);
            w.Family("preconfig_captures_total", "counter", "Captures the daemon made since it started.");
            w.Sample("preconfig_captures_total", s.Captures);
            if (s.CaptureMs is { } ms)
            {
                w.Family("preconfig_capture_duration_seconds", "gauge", "How long the last capture took.");
                w.Sample("preconfig_capture_duration_seconds", ms / 1000.0);
            }
            w.Family("preconfig_handoff_signed", "gauge", "1 when the handoff is signed (HMAC-SHA256 key configured).");
            w.Sample("preconfig_handoff_signed", s.Signed ? 1 : 0);
            w.Family("preconfig_warnings", "gauge", "Warnings of the last capture.");
            w.Sample("preconfig_warnings", s.Warnings.Count);

            w.Family("preconfig_stores", "gauge", "Handoff stores configured.");
            w.Sample("preconfig_stores", f.Stores.Count);
            w.Family("preconfig_stores_ok", "gauge", "Handoff stores holding the current snapshot.");
            w.Sample("preconfig_stores_ok", f.Stores.Count(x => x.Ok));
            w.Family("preconfig_store_ok", "gauge", "1 when this store holds the current snapshot.");
            foreach (var st in f.Stores) w.Sample("preconfig_store_ok", st.Ok ? 1 : 0, ("store", st.Store));
            w.Family("preconfig_store_result", "gauge", "The last write's result for this store (1 for the current result).");
            foreach (var st in f.Stores)
                foreach (var r in StoreResults.Contains(st.Result) ? StoreResults : [.. StoreResults, st.Result])
                    w.Sample("preconfig_store_result", st.Result == r ? 1 : 0, ("store", st.Store), ("result", r));
            w.Family("preconfig_store_bytes", "gauge", "Bytes of the blob last written to this store.");
            foreach (var st in f.Stores) w.Sample("preconfig_store_bytes", st.Bytes, ("store", st.Store));
            w.Family("preconfig_store_last_write_timestamp_seconds", "gauge", "When this store was last written (Unix time; 0: never).");
            foreach (var st in f.Stores)
                w.Sample("preconfig_store_last_write_timestamp_seconds", st.LastWriteAt is { } lw ? lw.ToUnixTimeMilliseconds() / 1000.0 : 0, ("store", st.Store));
        }

        var run = f.LastCaptureKernelRun;
        w.Family("preconfig_capture_kernel_run_present", "gauge", "1 when a capture-kernel run's record was found beside a crash dump.");
        w.Sample("preconfig_capture_kernel_run_present", run is null ? 0 : 1);
        if (run is not null)
        {
            w.Family("preconfig_capture_kernel_run_info", "gauge", "The last capture-kernel run's record: its dump directory and whether it was readable.");
            w.Sample("preconfig_capture_kernel_run_info", 1, ("directory", run.Directory), ("readable", run.Error is null ? "yes" : "no"));
            w.Family("preconfig_capture_kernel_run_timestamp_seconds", "gauge", "When the last capture-kernel run's record was written (Unix time).");
            w.Sample("preconfig_capture_kernel_run_timestamp_seconds", run.At.ToUnixTimeMilliseconds() / 1000.0);
            if (run.ElapsedMs is { } ms)
            {
                w.Family("preconfig_capture_kernel_run_duration_seconds", "gauge", "How long preinit took in the last capture kernel.");
                w.Sample("preconfig_capture_kernel_run_duration_seconds", ms / 1000.0);
            }
            w.Family("preconfig_capture_kernel_run_functions", "gauge", "Functions of the last capture-kernel run, by preinit's outcome.");
            foreach (var o in Outcomes.Concat(run.Outcomes.Keys.Where(k => !Outcomes.Contains(k)).Order(StringComparer.Ordinal)))
                w.Sample("preconfig_capture_kernel_run_functions", run.Outcomes.GetValueOrDefault(o), ("outcome", o));
            w.Family("preconfig_capture_kernel_run_cleared_error_registers", "gauge", "Error registers preinit recorded and cleared in the last capture kernel.");
            w.Sample("preconfig_capture_kernel_run_cleared_error_registers", run.ClearedErrorRegisters);
        }
        return w.ToString();
    }

    private sealed class Writer
    {
        private readonly StringBuilder _sb = new();

        public void Family(string name, string type, string help) =>
            _sb.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n')
               .Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');

        public void Sample(string name, double value, params (string Name, string Value)[] labels)
        {
            _sb.Append(name);
            if (labels.Length > 0)
            {
                _sb.Append('{');
                for (int i = 0; i < labels.Length; i++)
                {
                    if (i > 0) _sb.Append(',');
                    _sb.Append(labels[i].Name).Append("=\"").Append(EscapeLabel(labels[i].Value)).Append('"');
                }
                _sb.Append('}');
            }
            _sb.Append(' ').Append(Number(value)).Append('\n');
        }

        public override string ToString() => _sb.ToString();
    }

    private static string Number(double v) =>
        double.IsNaN(v) ? "NaN" : double.IsPositiveInfinity(v) ? "+Inf" : double.IsNegativeInfinity(v) ? "-Inf"
        : v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Label values: backslash, double quote and line feed escaped.</summary>
    public static string EscapeLabel(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);

    /// <summary>HELP text: backslash and line feed escaped.</summary>
    private static string EscapeHelp(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal);
}
