
namespace Preconfig.Tests.Packaging;

/// <summary>
/// packaging/lib/preconfig-kdump-record --wait (kdump-tools) against planted files, as a local user could leave them
/// where the dump directory's parent is world-writable (Ubuntu's /var/crash with apport): links are replaced, never
/// written through; a directory dated 2099, a link to a directory, or one without kdump-tools' own files of its stamp
/// is not this boot's dump directory; a FIFO in place of the report cannot block it. The rules come from
/// kdump-config's kdump_save_core(): KDUMP_STAMP=$(date +%Y%m%d%H%M), mkdir $KDUMP_COREDIR/$KDUMP_STAMP, then
/// dmesg.$KDUMP_STAMP and dump-incomplete renamed to dump.$KDUMP_STAMP.
/// </summary>
public sealed class RecordScriptTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string Crash => Path.Combine(_dir.Path, "crash");
    private string RunDir => Path.Combine(_dir.Path, "run", "preconfig");

    public void Dispose() => _dir.Dispose();

    private ShellScript.Result Record(string report, int waitSeconds = 20) => ShellScript.RunCommand("/bin/sh",
        [Path.Combine(ShellScript.Packaging, "lib", "preconfig-kdump-record"), "--wait"], new Dictionary<string, string>
        {
            ["PRECONFIG_REPORT"] = report, ["PRECONFIG_RUNDIR"] = RunDir,
            ["PRECONFIG_KDUMP_DEFAULTS"] = _dir.File("default/kdump-tools", $"KDUMP_COREDIR=\"{Crash}\"\n"),
            ["PRECONFIG_RECORD_WAIT_S"] = waitSeconds.ToString(),
            ["PRECONFIG_BOOT_TIME"] = DateTimeOffset.Now.AddMinutes(-10).ToUnixTimeSeconds().ToString(),
        }, limitMs: (waitSeconds + 20) * 1000);

    /// <summary>The directory kdump-config savecore makes now, with its first file.</summary>
    private string ThisBootsDumpDir() => DatedDumpDir(DateTimeOffset.Now.ToString("yyyyMMddHHmm"));

    /// <summary>A directory named and filled as kdump-config would on the given minute.</summary>
    private string DatedDumpDir(string stamp)
    {
        string dir = Path.Combine(Crash, stamp);
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "dmesg." + stamp), "");
        return dir;
    }

    private string Victim(string name)
    {
        string v = _dir.File(name, "root's secret\n");
        File.SetUnixFileMode(v, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return v;
    }

    [Fact]
    public void Planted_links_in_the_dump_directory_are_replaced_never_written_through()
    {
        string report = _dir.File("run/preconfig/preinit.json", "{ \"devices\": [] }");
        string dump = ThisBootsDumpDir();
        string victim = Victim("victim"), victimTmp = Victim("victim-tmp");
        File.CreateSymbolicLink(Path.Combine(dump, "preconfig-preinit.json"), victim);
        File.CreateSymbolicLink(Path.Combine(dump, ".preconfig-preinit.json.tmp"), victimTmp);
        var r = Record(report);
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal("root's secret\n", File.ReadAllText(victim));
        Assert.Equal("root's secret\n", File.ReadAllText(victimTmp));
        Assert.Equal("600", ShellScript.Mode(victim));
        var saved = new FileInfo(Path.Combine(dump, "preconfig-preinit.json"));
        Assert.Null(saved.LinkTarget);
        Assert.Equal(File.ReadAllText(report), File.ReadAllText(saved.FullName));
        Assert.Equal("600", ShellScript.Mode(saved.FullName));
    }

    [Fact]
    public void A_directory_dated_2099_or_a_link_to_a_directory_is_not_this_boots_dump_directory()
    {
        string report = _dir.File("run/preconfig/preinit.json", "{ \"devices\": [] }");
        string future = DatedDumpDir("209901010000");
        // A link named as this minute's directory, to a directory elsewhere that has kdump-tools' file.
        string elsewhere = Path.Combine(_dir.Path, "elsewhere");
        string stamp = DateTimeOffset.Now.ToString("yyyyMMddHHmm");
        Directory.CreateDirectory(elsewhere);
        File.WriteAllText(Path.Combine(elsewhere, "dmesg." + stamp), "");
        Directory.CreateDirectory(Crash);
        Directory.CreateSymbolicLink(Path.Combine(Crash, stamp), elsewhere);
        var r = Record(report, waitSeconds: 2);
        Assert.True(r.Code == 0, r.Out);
        Assert.False(File.Exists(Path.Combine(future, "preconfig-preinit.json")));
        Assert.False(File.Exists(Path.Combine(elsewhere, "preconfig-preinit.json")));
        Assert.Contains("not written into", r.Out);
    }

    [Fact]
    public void The_dump_directory_of_this_boot_wins_over_a_newer_looking_one()
    {
        string report = _dir.File("run/preconfig/preinit.json", "{ \"devices\": [] }");
        string future = DatedDumpDir("209901010000");
        // A directory without kdump-tools' own file of its stamp: not a dump directory.
        string stamp = DateTimeOffset.Now.ToString("yyyyMMddHHmm");
        Directory.CreateDirectory(Path.Combine(Crash, "ip-" + stamp));
        string dump = ThisBootsDumpDir();
        var r = Record(report);
        Assert.True(r.Code == 0, r.Out);
        Assert.True(File.Exists(Path.Combine(dump, "preconfig-preinit.json")), r.Out);
        Assert.False(File.Exists(Path.Combine(future, "preconfig-preinit.json")));
        Assert.False(File.Exists(Path.Combine(Crash, "ip-" + stamp, "preconfig-preinit.json")));
    }

    [Fact]
    public void A_fifo_in_place_of_the_report_does_not_block_and_the_note_says_how_preinit_ended()
    {
        string report = Path.Combine(RunDir, "preinit.json");
        Directory.CreateDirectory(RunDir);
        var mk = ShellScript.RunCommand("mkfifo", [report]);
        Assert.True(mk.Code == 0, mk.Out);
        File.WriteAllText(Path.Combine(RunDir, "preinit.exit"), "exit 139\n");
        string dump = ThisBootsDumpDir();
        var r = Record(report);
        Assert.True(r.Code == 0, r.Out);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(15), $"{r.Elapsed}");
        string note = File.ReadAllText(Path.Combine(dump, "preconfig-preinit.missing"));
        Assert.Contains("preinit: exit 139", note);
        Assert.False(File.Exists(Path.Combine(dump, "preconfig-preinit.json")));
    }
}
