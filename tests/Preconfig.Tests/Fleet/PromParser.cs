using System.Diagnostics;
using System.Text.Json;

namespace Preconfig.Tests.Fleet;

/// <summary>One sample as Prometheus' own Python client parses it.</summary>
internal sealed record PromSample(string Family, string Type, string Name, Dictionary<string, string> Labels, double Value);

/// <summary>
/// Parses Prometheus text exposition with Debian's python3-prometheus-client (scripts/install-deps.sh installs it):
/// a parser we did not write, so a format mistake fails here instead of in a fleet's scrape.
/// </summary>
internal static class PromParser
{
    private const string Script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = []
        for fam in text_string_to_metric_families(open(sys.argv[1], encoding="utf-8").read()):
            for s in fam.samples:
                out.append({"family": fam.name, "type": fam.type, "name": s.name, "labels": s.labels, "value": s.value})
        print(json.dumps(out))
        """;

    public static List<PromSample> Parse(string text)
    {
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, text);
            var psi = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("-c");
            psi.ArgumentList.Add(Script);
            psi.ArgumentList.Add(file);
            using var p = Process.Start(psi)!;
            var stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "python3 did not finish");
            Assert.True(p.ExitCode == 0, $"prometheus_client could not parse the text ({p.ExitCode}): {stderr}\n{text}");
            using var doc = JsonDocument.Parse(stdout.Result);
            return [.. doc.RootElement.EnumerateArray().Select(e => new PromSample(
                e.GetProperty("family").GetString()!, e.GetProperty("type").GetString()!, e.GetProperty("name").GetString()!,
                e.GetProperty("labels").EnumerateObject().ToDictionary(l => l.Name, l => l.Value.GetString()!),
                e.GetProperty("value").GetDouble()))];
        }
        finally { File.Delete(file); }
    }

    /// <summary>The one sample named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public static PromSample One(this List<PromSample> samples, string name, params (string Key, string Value)[] labels)
    {
        var found = samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).ToList();
        Assert.True(found.Count == 1, $"{found.Count} samples {name}{{{string.Join(",", labels.Select(l => l.Key + "=" + l.Value))}}}; have: "
            + string.Join(" ", samples.Select(s => s.Name).Distinct()));
        return found[0];
    }
}
