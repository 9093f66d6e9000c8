
namespace Preconfig.Tests.Packaging;

/// <summary>
/// The packaging shell scripts run as they are, against temporary folders: the signing key (made root-only, kept
/// when present), the initramfs hook carrying it into the kdump initramfs only, the umask of that image, and the
/// record of preinit's report beside the dump.
/// </summary>
public sealed class PackagingScriptTests : IDisposable
{
    private readonly TempDir _dir = new();
    private static string Packaging => ShellScript.Packaging;

    public void Dispose() => _dir.Dispose();

    private static (int Code, string Out) Sh(string script, IDictionary<string, string>? env = null, params string[] args)
    {
        var r = ShellScript.Run(script, env, args);
        return (r.Code, r.Out);
    }

    private static string Mode(string path) => ShellScript.Mode(path);

    [Fact]
    public void The_key_is_made_root_only_and_an_existing_one_is_kept()
    {
        string key = Path.Combine(_dir.Path, "etc", "preconfig", "handoff.key");
        var (code, output) = Sh(Path.Combine(Packaging, "lib", "preconfig-key"), null, "ensure", key);
        Assert.True(code == 0, output);
        Assert.Equal(32, new FileInfo(key).Length);
        Assert.Equal("600", Mode(key));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(key)!, ".handoff.key.*"));

        byte[] first = File.ReadAllBytes(key);
        File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        (code, output) = Sh(Path.Combine(Packaging, "lib", "preconfig-key"), null, "ensure", key);
        Assert.True(code == 0, output);
        Assert.Contains("kept", output);
        Assert.Equal(first, File.ReadAllBytes(key));
        Assert.Equal("600", Mode(key));
    }

    /// <summary>Runs the real initramfs-tools hook into a fresh DESTDIR with CONFDIR as mkinitramfs exports it.</summary>
    private string RunHook(string name, bool kdump)
    {
        string etc = Path.Combine(_dir.Path, "etc-preconfig");
        Directory.CreateDirectory(etc);
        File.WriteAllBytes(Path.Combine(etc, "handoff.key"), new byte[32]);
        File.WriteAllBytes(Path.Combine(etc, "handoff.key.old"), new byte[32]);
        string handoff = _dir.File("var-lib-preconfig/kdump-handoff.pcfg", "PCFG signed blob");
        string bin = _dir.File("bin/preconfig", "#!/bin/sh\n");
        File.SetUnixFileMode(bin, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // copy_exec and copy_file as initramfs-tools' hook-functions define them, reduced to the copy.
        string functions = _dir.File("hook-functions",
            "copy_exec() { mkdir -p \"$DESTDIR/$(dirname \"$2\")\"; cp \"$1\" \"$DESTDIR/$2\"; }\n" +
            "copy_file() { mkdir -p \"$DESTDIR/$(dirname \"$3\")\"; cp \"$2\" \"$DESTDIR/$3\"; }\n");
        string confdir = Path.Combine(_dir.Path, name + "-conf");
        Directory.CreateDirectory(confdir);
        // kdump-tools appends KDUMP=y to its copy of initramfs.conf.
        File.WriteAllText(Path.Combine(confdir, "initramfs.conf"), "MODULES=list\n" + (kdump ? "KDUMP=y\n" : ""));
        string dest = Path.Combine(_dir.Path, name);
        Directory.CreateDirectory(dest);
        var (code, output) = Sh(Path.Combine(Packaging, "initramfs-tools", "hooks", "preconfig"), new Dictionary<string, string>
        {
            ["DESTDIR"] = dest, ["CONFDIR"] = confdir, ["PRECONFIG_HOOK_FUNCTIONS"] = functions,
            ["PRECONFIG_SRC_BIN"] = bin, ["PRECONFIG_SRC_BOOT"] = bin, ["PRECONFIG_SRC_ETC"] = etc,
            ["PRECONFIG_SRC_HANDOFF"] = handoff,
        });
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(dest, "usr", "bin", "preconfig")), output);
        return dest;
    }

    [Fact]
    public void The_hook_puts_the_keys_and_the_handoff_into_the_kdump_initramfs_only()
    {
        string production = RunHook("production", kdump: false);
        foreach (var f in new[] { "handoff.key", "handoff.key.old", "handoff.pcfg" })
            Assert.False(File.Exists(Path.Combine(production, "etc", "preconfig", f)), f);

        string kdump = RunHook("kdump", kdump: true);
        foreach (var f in new[] { "handoff.key", "handoff.key.old", "handoff.pcfg" })
        {
            string p = Path.Combine(kdump, "etc", "preconfig", f);
            Assert.True(File.Exists(p), f);
            Assert.Equal("600", Mode(p));
        }
        // Where preconfig-boot looks for it in the capture kernel.
        Assert.Equal("PCFG signed blob", File.ReadAllText(Path.Combine(kdump, "etc", "preconfig", "handoff.pcfg")));
        Assert.Contains("HANDOFF=/etc/preconfig/handoff.pcfg", File.ReadAllText(Path.Combine(Packaging, "lib", "preconfig-boot")));
    }

    [Theory]
    [InlineData("KDUMP=y", "0077")]
    [InlineData("", "")]
    public void The_conf_hook_makes_mkinitramfs_write_the_kdump_image_root_only(string conf, string umask)
    {
        string script = _dir.File("probe.sh", $"{conf}\n. '{Path.Combine(Packaging, "initramfs-tools", "conf-hooks.d", "preconfig")}'\necho \"umask=${{UMASK:-}}\"\n");
        var (code, output) = Sh(script);
        Assert.True(code == 0, output);
        Assert.Contains("umask=" + umask + "\n", output);
    }

    [Fact]
    public void The_record_waits_for_kdump_tools_dump_directory_and_saves_the_report_there()
    {
        string report = _dir.File("run/preconfig/preinit.json", "{ \"devices\": [], \"elapsedMs\": 1.5 }");
        string crash = Path.Combine(_dir.Path, "crash");
        var boot = DateTimeOffset.Now.AddMinutes(-5);
        // An older dump (before this boot), complete with kdump-tools' files: not this one.
        string older = Path.Combine(crash, boot.AddDays(-1).ToString("yyyyMMddHHmm"));
        Directory.CreateDirectory(older);
        File.WriteAllText(Path.Combine(older, "dmesg." + Path.GetFileName(older)), "");
        string defaults = _dir.File("default/kdump-tools", $"KDUMP_COREDIR=\"{crash}\"\n");
        var env = new Dictionary<string, string>
        {
            ["PRECONFIG_REPORT"] = report, ["PRECONFIG_KDUMP_DEFAULTS"] = defaults,
            ["PRECONFIG_RUNDIR"] = Path.Combine(_dir.Path, "run", "preconfig"), ["PRECONFIG_RECORD_WAIT_S"] = "30",
            ["PRECONFIG_BOOT_TIME"] = boot.ToUnixTimeSeconds().ToString(),
        };
        var waiting = Task.Run(() => Sh(Path.Combine(Packaging, "lib", "preconfig-kdump-record"), env, "--wait"));
        Thread.Sleep(1500);
        Assert.False(waiting.IsCompleted);
        // What kdump-config savecore does first: mkdir $KDUMP_COREDIR/$(date +%Y%m%d%H%M), then dmesg.<stamp> in it.
        string stamp = DateTimeOffset.Now.ToString("yyyyMMddHHmm");
        string dump = Path.Combine(crash, stamp);
        Directory.CreateDirectory(dump);
        File.WriteAllText(Path.Combine(dump, "dmesg." + stamp), "");
        Assert.True(waiting.Wait(TimeSpan.FromSeconds(30)));
        Assert.True(waiting.Result.Code == 0, waiting.Result.Out);
        Assert.Equal(File.ReadAllText(report), File.ReadAllText(Path.Combine(dump, "preconfig-preinit.json")));
        Assert.Equal("600", Mode(Path.Combine(dump, "preconfig-preinit.json")));
        Assert.False(File.Exists(Path.Combine(older, "preconfig-preinit.json")));
    }

    [Fact]
    public void After_a_kdump_utils_dump_the_report_goes_into_the_newest_dump_directory_of_the_configured_path()
    {
        string report = _dir.File("run/preconfig/preinit.json", "{ \"devices\": [], \"elapsedMs\": 2 }");
        File.SetLastWriteTimeUtc(report, DateTime.UtcNow.AddMinutes(-1));
        string root = Path.Combine(_dir.Path, "sysroot");
        string older = Path.Combine(root, "srv", "dumps", "127.0.0.1-2026-11-30-11:59:00");
        string newer = Path.Combine(root, "srv", "dumps", "127.0.0.1-2026-11-30-12:02:31");
        Directory.CreateDirectory(older);
        File.SetLastWriteTimeUtc(older, DateTime.UtcNow.AddMinutes(-30));   // before preinit ran: another crash
        Directory.CreateDirectory(newer);
        string conf = _dir.File("kdump.conf", "# kdump-utils\npath /srv/dumps\ncore_collector makedumpfile -l -d 31\n");
        var (code, output) = Sh(Path.Combine(Packaging, "lib", "preconfig-kdump-record"), new Dictionary<string, string>
        {
            ["PRECONFIG_REPORT"] = report, ["PRECONFIG_KDUMP_CONF"] = conf, ["PRECONFIG_DUMP_ROOTS"] = root,
        }, "--after-dump");
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(newer, "preconfig-preinit.json")), output);
        Assert.False(File.Exists(Path.Combine(older, "preconfig-preinit.json")));
    }
}
