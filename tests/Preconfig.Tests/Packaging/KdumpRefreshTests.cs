
namespace Preconfig.Tests.Packaging;

/// <summary>
/// packaging/kdump-tools/preconfig-kdump-refresh run as it is against temporary folders, with the real preconfig
/// binary (capture and verify a signed blob) and stand-ins for kdump-tools behaving as its sources do: the kernel hook
/// (/etc/kernel/postinst.d/kdump-tools) deletes /var/lib/kdump/initrd.img-VERSION before it builds the new one, and
/// `kdump-config try-reload` unloads then loads (kdump-config: reload() = unload; load).
/// </summary>
public sealed class KdumpRefreshTests : IDisposable
{
    private const string Kver = "6.1.0-test-amd64";
    private readonly TempDir _dir = new();
    private readonly SysfsTree _sysfs = new();
    private string Etc => Path.Combine(_dir.Path, "etc", "preconfig");
    private string State => Path.Combine(_dir.Path, "var", "lib", "preconfig");
    private string KdumpDir => Path.Combine(_dir.Path, "var", "lib", "kdump");
    private string Image => Path.Combine(KdumpDir, "initrd.img-" + Kver);
    private string Loaded => Path.Combine(_dir.Path, "sys", "kexec_crash_loaded");
    private string Calls => Path.Combine(_dir.Path, "calls");
    private string StatusFile => Path.Combine(State, "kdump-refresh.status");
    private static string Preconfig => Path.Combine(AppContext.BaseDirectory, "preconfig");

    public KdumpRefreshTests()
    {
        _sysfs.AddDevice(PciAddress.Parse("0000:00:02.0"), SysfsTree.Config(256));
        Directory.CreateDirectory(Etc);
        Directory.CreateDirectory(State);
        Directory.CreateDirectory(KdumpDir);
        File.WriteAllBytes(Path.Combine(Etc, "handoff.key"), Enumerable.Range(1, 32).Select(i => (byte)i).ToArray());
        File.WriteAllText(Image, "kdump-tools image, before\n");
        _dir.File("sys/kexec_crash_loaded", "1\n");
        // kdump-tools' kernel hook: the image is deleted first, then rebuilt by mkinitramfs with our hook (here: the
        // handoff copy and the keys it would embed, listed by content).
        Hook("rm -f \"$img\"\n" +
             "echo \"hook $1 start $(date +%s.%N)\" >> " + Calls + "\n" +
             "sleep 0.5\n" +
             "{ echo built; cat " + Path.Combine(State, "kdump-handoff.pcfg") + " 2>/dev/null | md5sum; ls " + Etc + "; } > \"$img.new\" && mv \"$img.new\" \"$img\"\n" +
             "echo \"hook $1 end $(date +%s.%N)\" >> " + Calls + "\n");
        ShellScript.Executable(Path.Combine(_dir.Path, "bin", "kdump-config"),
            "echo \"kdump-config $1\" >> " + Calls + "\n" +
            "case \"$1\" in try-reload) [ \"$(cat " + Loaded + ")\" = 1 ] || exit 0; echo 0 > " + Loaded + " ;; esac\n" +
            "grep -q unloadable " + Image + " 2>/dev/null && exit 1\n" +
            "[ -f " + Image + " ] || exit 1\n" +
            "echo 1 > " + Loaded + "\n");
    }

    public void Dispose() { _dir.Dispose(); _sysfs.Dispose(); }

    private void Hook(string body) =>
        ShellScript.Executable(Path.Combine(_dir.Path, "bin", "kdump-tools-hook"), "img=" + Image + "\n" + body);

    /// <summary>A handoff the real daemon would write: captured from a sysfs tree, signed with <paramref name="key"/>.</summary>
    private string Handoff(string key)
    {
        string blob = Path.Combine(State, "handoff.pcfg");
        var r = ShellScript.RunCommand(Preconfig, ["capture", "--source", "sysfs:" + _sysfs.Root, "--out", "file:" + blob, "--key", key]);
        Assert.True(r.Code == 0, r.Out);
        return blob;
    }

    private ShellScript.Result Refresh(params string[] args) => ShellScript.Run(
        Path.Combine(ShellScript.Packaging, "kdump-tools", "preconfig-kdump-refresh"), Env(), args);

    private Dictionary<string, string> Env() => new()
    {
        ["PRECONFIG_KVER"] = Kver, ["PRECONFIG_BIN"] = Preconfig, ["PRECONFIG_STATE_DIR"] = State,
        ["PRECONFIG_ETC"] = Etc, ["PRECONFIG_RUNDIR"] = Path.Combine(_dir.Path, "run", "preconfig"),
        ["PRECONFIG_KDUMP_DIR"] = KdumpDir, ["PRECONFIG_KDUMP_HOOK"] = Path.Combine(_dir.Path, "bin", "kdump-tools-hook"),
        ["PRECONFIG_KDUMP_CONFIG"] = Path.Combine(_dir.Path, "bin", "kdump-config"), ["PRECONFIG_CRASH_LOADED"] = Loaded,
    };

    private string[] CallLines() => File.Exists(Calls) ? File.ReadAllLines(Calls) : [];

    [Fact]
    public void The_loaded_capture_kernel_gets_this_boots_signed_handoff_and_an_unchanged_one_costs_no_rebuild()
    {
        string blob = Handoff(Path.Combine(Etc, "handoff.key"));
        var r = Refresh();
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal(File.ReadAllBytes(blob), File.ReadAllBytes(Path.Combine(State, "kdump-handoff.pcfg")));
        Assert.Equal("600", ShellScript.Mode(Path.Combine(State, "kdump-handoff.pcfg")));
        Assert.StartsWith("built", File.ReadAllText(Image));
        Assert.Equal(["hook " + Kver + " start", "hook " + Kver + " end", "kdump-config try-reload"],
            CallLines().Select(l => l.StartsWith("hook") ? string.Join(' ', l.Split(' ')[..3]) : l));
        Assert.Equal("1", File.ReadAllText(Loaded).Trim());
        Assert.Contains(" embedded: ", File.ReadAllText(StatusFile));

        // The next boot's capture of the same functions: a new blob (new time), the same bytes: nothing rebuilt.
        File.Delete(Calls);
        Handoff(Path.Combine(Etc, "handoff.key"));
        r = Refresh();
        Assert.True(r.Code == 0, r.Out);
        Assert.Empty(CallLines());
        Assert.Contains(" current: ", File.ReadAllText(StatusFile));
    }

    [Fact]
    public void A_handoff_signed_with_another_key_is_not_embedded_and_the_status_says_why()
    {
        string other = _dir.File("other.key", new string('x', 32));
        Handoff(other);
        var r = Refresh();
        Assert.True(r.Code == 0, r.Out);
        Assert.False(File.Exists(Path.Combine(State, "kdump-handoff.pcfg")));
        Assert.Equal("kdump-tools image, before\n", File.ReadAllText(Image));
        Assert.Matches(" no-handoff: .*handoff.pcfg does not verify with .*handoff.key", File.ReadAllText(StatusFile));
    }

    [Fact]
    public void A_previous_boots_handoff_is_not_embedded()
    {
        Handoff(Path.Combine(Etc, "handoff.key"));
        var env = Env();
        env["PRECONFIG_BOOT_ID"] = _dir.File("boot_id", "00000000-0000-4000-8000-000000000000\n");
        var r = ShellScript.Run(Path.Combine(ShellScript.Packaging, "kdump-tools", "preconfig-kdump-refresh"), env);
        Assert.True(r.Code == 0, r.Out);
        Assert.False(File.Exists(Path.Combine(State, "kdump-handoff.pcfg")));
        Assert.Contains("was not captured in this boot", File.ReadAllText(StatusFile));
    }

    /// <summary>kdump-tools' hook deletes the image before mkinitramfs runs: a failed build leaves none; a built image
    /// may still fail to load. Either way the previous image is back and a capture kernel is loaded.</summary>
    [Theory]
    [InlineData("rm -f \"$img\"\necho mkinitramfs failed >&2\nexit 1\n", "failed: .* failed: the previous kdump initramfs is back in place")]
    [InlineData("rm -f \"$img\"\necho unloadable > \"$img\"\n", "failed: the rebuilt .* did not load: the previous one is loaded again")]
    public void A_failing_rebuild_or_an_image_that_does_not_load_leaves_kdump_tools_previous_image_loaded(string hook, string status)
    {
        Handoff(Path.Combine(Etc, "handoff.key"));
        Hook(hook);
        var r = Refresh();
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal("kdump-tools image, before\n", File.ReadAllText(Image));
        Assert.Equal("1", File.ReadAllText(Loaded).Trim());
        Assert.False(File.Exists(Path.Combine(State, "kdump-handoff.pcfg")));
        Assert.Matches(status, File.ReadAllText(StatusFile));
    }

    [Fact]
    public void With_the_file_system_full_nothing_is_rebuilt_and_kdump_tools_keeps_its_image()
    {
        Handoff(Path.Combine(Etc, "handoff.key"));
        File.WriteAllBytes(Image, new byte[256 * 1024]);
        // The state directory on a 64 KiB tmpfs, filled (a private mount namespace: nothing leaks onto this machine).
        string state = State, script = Path.Combine(ShellScript.Packaging, "kdump-tools", "preconfig-kdump-refresh");
        string saved = Path.Combine(_dir.Path, "handoff.saved");
        File.Copy(Path.Combine(state, "handoff.pcfg"), saved);
        var r = ShellScript.RunCommand("unshare", ["-rm", "sh", "-c",
            $"mount -t tmpfs -o size=64k tmpfs {state} && cp {saved} {state}/handoff.pcfg && " +
            $"{{ dd if=/dev/zero of={state}/fill bs=4k 2>/dev/null; exec sh {script}; }}"], Env());
        Assert.True(r.Code == 0, r.Out);
        Assert.Contains("file system full", r.Out);
        Assert.Equal(256 * 1024, new FileInfo(Image).Length);
        Assert.DoesNotContain(CallLines(), l => l.StartsWith("hook"));
        Assert.Equal("1", File.ReadAllText(Loaded).Trim());
    }

    [Fact]
    public void Two_refreshes_never_rebuild_at_the_same_time()
    {
        Handoff(Path.Combine(Etc, "handoff.key"));
        var a = Task.Run(() => Refresh("--force"));
        var b = Task.Run(() => Refresh("--force"));
        Assert.True(a.Result.Code == 0 && b.Result.Code == 0, a.Result.Out + b.Result.Out);
        var hooks = CallLines().Where(l => l.StartsWith("hook")).Select(l => l.Split(' ')).ToList();
        Assert.Equal(["start", "end", "start", "end"], hooks.Select(h => h[2]));
        Assert.True(double.Parse(hooks[2][3], System.Globalization.CultureInfo.InvariantCulture)
            >= double.Parse(hooks[1][3], System.Globalization.CultureInfo.InvariantCulture), string.Join('\n', CallLines()));
    }

    [Fact]
    public void During_a_rotation_the_old_key_stays_until_a_handoff_signed_with_the_new_one_is_loaded()
    {
        string key = Path.Combine(Etc, "handoff.key"), old = Path.Combine(Etc, "handoff.key.old");
        // Rotated, the daemon not restarted yet: the handoff is still signed with the old key.
        File.Copy(key, old);
        File.WriteAllBytes(key, Enumerable.Range(100, 32).Select(i => (byte)i).ToArray());
        Handoff(old);
        var r = Refresh("--force");
        Assert.True(r.Code == 0, r.Out);
        Assert.True(File.Exists(old), r.Out);
        Assert.Contains("handoff.key.old", File.ReadAllText(Image));     // both keys ride in the image
        Assert.Contains("signed with " + old, File.ReadAllText(StatusFile));

        // The daemon re-signed with the new key: embedded and loaded, then the old key goes and the image is rebuilt.
        File.Delete(Calls);
        Handoff(key);
        r = Refresh();
        Assert.True(r.Code == 0, r.Out);
        Assert.False(File.Exists(old));
        Assert.Equal(2, CallLines().Count(l => l.StartsWith("hook") && l.Contains(" end ")));
        Assert.DoesNotContain("handoff.key.old", File.ReadAllText(Image));
        Assert.Contains("signed with " + key, File.ReadAllText(StatusFile));
    }

    [Fact]
    public void Preconfig_key_rotate_keeps_the_old_key_beside_the_new_one_root_only()
    {
        string key = Path.Combine(Etc, "handoff.key");
        byte[] before = File.ReadAllBytes(key);
        var r = ShellScript.Run(Path.Combine(ShellScript.Packaging, "lib", "preconfig-key"), new Dictionary<string, string>
        {
            ["PRECONFIG_SYSTEMD_DIR"] = Path.Combine(_dir.Path, "no-systemd"), ["PRECONFIG_REFRESH"] = Path.Combine(_dir.Path, "none"),
        }, "rotate", key);
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal(before, File.ReadAllBytes(key + ".old"));
        Assert.NotEqual(before, File.ReadAllBytes(key));
        Assert.Equal(32, File.ReadAllBytes(key).Length);
        Assert.Equal("600", ShellScript.Mode(key));
        Assert.Equal("600", ShellScript.Mode(key + ".old"));
    }
}
