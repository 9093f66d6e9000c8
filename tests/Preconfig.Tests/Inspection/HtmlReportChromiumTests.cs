using System.Text.RegularExpressions;
using Preconfig.FullEdition.Report;
using Preconfig.Inspection;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Inspection;

/// <summary>
/// The HTML report in a real headless Chromium (Debian's chromium, installed on demand like scripts/install-deps.sh):
/// the page's script runs without error, every function of the input is shown, and the highlighted fields are exactly
/// the ones diff reports. The screenshot is kept under TestResults/inspection/ (gitignored).
/// </summary>
public partial class HtmlReportChromiumTests
{
    [GeneratedRegex("<li class=\"fn[^\"]*\" data-address=\"([^\"]+)\"|<span class=\"f chg\" data-field=\"([^\"]+)\"")]
    private static partial Regex FunctionOrChange();

    [GeneratedRegex("id=\"script-status\" data-state=\"ok\">ok: (\\d+) functions, (\\d+) highlighted<")]
    private static partial Regex ScriptOk();

    [Fact]
    public void ReportAgainstADirtiedMachineShowsEveryFunctionAndHighlightsExactlyTheDiff()
    {
        string chromium = EnsureChromium();
        string dir = Directory.CreateTempSubdirectory("preconfig-report-").FullName;
        try
        {
            var machine = SimulatedMachine.FromDump(LspciDumpReader.ReadFile(InspectionTestData.PathOf("pciutils-tests/tree-asus-p6t6")));
            string boot = Path.Combine(dir, "boot.json"), crashed = Path.Combine(dir, "crashed.json"), html = Path.Combine(dir, "report.html");
            machine.Save(boot);
            InspectionTestData.DirtyLikeAKernel(machine);
            var gone = machine.Functions.Last().Address;
            machine.Remove(gone);
            machine.Save(crashed);

            Assert.Equal(0, ReportCommand.Run($"sim:{boot}", $"sim:{crashed}", html, pciIdsPath: null));

            var input = InspectionTestData.Take(SimulatedMachine.Load(boot), "boot");
            var diff = SnapshotDiff.Compare(input, InspectionTestData.Take(SimulatedMachine.Load(crashed), "crashed"));
            Assert.Equal([gone], diff.Removed);

            string dom = Chromium(chromium, "--dump-dom", new Uri(html).AbsoluteUri);
            var ok = ScriptOk().Match(dom);
            Assert.True(ok.Success, "the page's script did not report success: " + Regex.Match(dom, "id=\"script-status\"[^<]*").Value);

            var shown = new List<string>();
            var highlighted = new List<(string Address, string Field)>();
            foreach (Match m in FunctionOrChange().Matches(dom))
            {
                if (m.Groups[1].Success) shown.Add(m.Groups[1].Value);
                else highlighted.Add((shown[^1], System.Net.WebUtility.HtmlDecode(m.Groups[2].Value)));
            }
            Assert.Equal(input.Devices.Select(d => d.Address.ToString()).Order(), shown.Order());
            Assert.Equal(diff.Changes.Select(c => (c.Address.ToString(), c.Field)).Order(), highlighted.Order());
            Assert.Equal(diff.Changes.Count.ToString(), ok.Groups[2].Value);

            string artifacts = Path.Combine(RepoPaths.Root, "TestResults", "inspection");
            Directory.CreateDirectory(artifacts);
            string png = Path.Combine(artifacts, "report-against-dirtied.png");
            File.Delete(png);
            Chromium(chromium, "--window-size=1280,1600", $"--screenshot={png}", new Uri(html).AbsoluteUri);
            Assert.True(File.Exists(png) && new FileInfo(png).Length > 10_000, $"no screenshot at {png}");
            File.Copy(html, Path.Combine(artifacts, "report-against-dirtied.html"), overwrite: true);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>Chromium from Debian, installed when missing; the test fails (never skips) when it cannot be had.</summary>
    private static string EnsureChromium()
    {
        const string path = "/usr/bin/chromium";
        if (!File.Exists(path))
        {
            var r = ExternalTool.Run(Path.Combine(RepoPaths.Root, "scripts", "install-deps.sh"), "chromium");
            Assert.True(File.Exists(path), $"Chromium is needed for the HTML report test and could not be installed (scripts/install-deps.sh chromium exited {r.ExitCode}): {r.Stderr}");
        }
        return path;
    }

    private static string Chromium(string chromium, params string[] args)
    {
        string profile = Directory.CreateTempSubdirectory("chromium-profile-").FullName;
        try { return WithProfile(chromium, profile, args); }
        finally { Directory.Delete(profile, recursive: true); }
    }

    private static string WithProfile(string chromium, string profile, string[] args)
    {
        string[] common = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync", $"--user-data-dir={profile}"];
        var r = ExternalTool.Run(chromium, [.. common, .. args]);
        Assert.True(r.ExitCode == 0, $"chromium exited {r.ExitCode}: {r.Stderr[^Math.Min(r.Stderr.Length, 500)..]}");
        return r.Stdout;
    }
}
