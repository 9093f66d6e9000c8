
namespace Preconfig.Tests.Packaging;

/// <summary>
/// packaging/lib/preconfig-boot (initramfs, both kernels) run as it is with a stand-in preconfig that hangs, ignores
/// SIGTERM or crashes: the boot goes on (exit 0) within the documented bound, and the run's end is recorded for the
/// record script. The kernel's rule the bound rests on: SIGKILL cannot be caught or ignored (signal(7)).
/// </summary>
public sealed class BootScriptTests : IDisposable
{
    private readonly TempDir _dir = new();
    private string RunDir => Path.Combine(_dir.Path, "run", "preconfig");

    public void Dispose() => _dir.Dispose();

    private ShellScript.Result Boot(string fake, string cmdline, params (string, string)[] env)
    {
        var vars = new Dictionary<string, string>
        {
            ["PRECONFIG_BIN"] = ShellScript.Executable(Path.Combine(_dir.Path, "bin", "preconfig"), fake),
            ["PRECONFIG_RUNDIR"] = RunDir,
            ["PRECONFIG_CMDLINE"] = _dir.File("cmdline", cmdline + "\n"),
            ["PRECONFIG_DT_CHOSEN"] = Path.Combine(_dir.Path, "no-device-tree"),   // never this host's /sys/firmware
        };
        foreach (var (k, v) in env) vars[k] = v;
        return ShellScript.RunCommand("/bin/sh", [Path.Combine(ShellScript.Packaging, "lib", "preconfig-boot")], vars, limitMs: 40_000);
    }

    [Fact]
    public void A_normal_boot_capture_that_ignores_sigterm_is_killed_and_the_boot_goes_on_within_the_bound()
    {
        // Bound: limit 1 s + SIGKILL 3 s later; the script returns once the process is gone.
        var r = Boot("trap '' TERM\nexec sleep 30\n", "root=/dev/vda preconfig.timeout=1");
        Assert.True(r.Code == 0, r.Out);
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(1 + 3 + 2 + 2), $"held the boot {r.Elapsed.TotalSeconds:0.0} s: {r.Out}");
        Assert.True(r.Elapsed >= TimeSpan.FromSeconds(4), $"returned after {r.Elapsed.TotalSeconds:0.0} s, before SIGKILL was due");
        Assert.Contains("SIGKILL", r.Out);
        Assert.StartsWith("timed out after 1 s (SIGKILL)", File.ReadAllText(Path.Combine(RunDir, "capture.exit")));
        Assert.Equal("700", ShellScript.Mode(RunDir));
    }

    [Fact]
    public void A_hung_preinit_in_the_capture_kernel_is_stopped_at_its_configured_bound()
    {
        string conf = _dir.File("initramfs.conf", "PRECONFIG_PREINIT_TIMEOUT_S=2\n");
        var r = Boot("exec sleep 30\n", "elfcorehdr=0x1000 reset_devices", ("PRECONFIG_INITRAMFS_CONF", conf));
        Assert.True(r.Code == 0, r.Out);
        // The default bound is 30 s; with a 2 s limit the script must be back long before.
        Assert.True(r.Elapsed < TimeSpan.FromSeconds(2 + 3 + 2 + 2), $"held the dump boot {r.Elapsed.TotalSeconds:0.0} s: {r.Out}");
        Assert.StartsWith("timed out after 2 s (SIGTERM)", File.ReadAllText(Path.Combine(RunDir, "preinit.exit")));
        Assert.Contains("the dump boot goes on", r.Out);
    }

    [Fact]
    public void A_crashing_preinit_is_recorded_and_the_dump_boot_goes_on()
    {
        // A segmentation fault: the shell reports 128 + SIGSEGV (11).
        var r = Boot("kill -SEGV $$\n", "elfcorehdr=0x1000");
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal("exit 139", File.ReadAllText(Path.Combine(RunDir, "preinit.exit")).Trim());
        Assert.Contains("preinit failed (exit 139)", r.Out);
    }

    /// <summary>arm64: kexec hands the capture kernel its ELF core header in the device tree (/chosen
    /// linux,elfcorehdr: the kernel's arch/arm64/kernel/machine_kexec_file.c, of_kexec_alloc_and_setup_fdt), not as
    /// elfcorehdr= on the command line. Only the property says this is a capture kernel.</summary>
    [Fact]
    public void An_arm64_capture_kernel_is_recognized_by_its_device_tree()
    {
        string chosen = Path.Combine(_dir.Path, "chosen");
        Directory.CreateDirectory(chosen);
        string args = Path.Combine(_dir.Path, "args");
        string fake = $"echo \"$@\" >> '{args}'\n";
        Boot(fake, "console=ttyAMA0 reset_devices");
        Assert.DoesNotContain("preinit", File.Exists(args) ? File.ReadAllText(args) : "");   // no property: not a capture kernel

        File.WriteAllBytes(Path.Combine(chosen, "linux,elfcorehdr"), new byte[16]);
        File.Delete(args);
        var r = Boot(fake, "console=ttyAMA0 reset_devices", ("PRECONFIG_DT_CHOSEN", chosen));
        Assert.True(r.Code == 0, r.Out);
        Assert.Contains("preinit", File.ReadAllText(args));
        Assert.True(File.Exists(Path.Combine(RunDir, "preinit.exit")), r.Out);
    }
}
