
namespace Preconfig.Tests.Packaging;

/// <summary>
/// packaging/kdump-tools/preconfig-kdump-initrd (the combined image for hosts whose KDUMP_INITRD names it) never
/// stops kdump-tools: without a base image of the running kernel, or with the file system full, the image becomes a
/// link to kdump-tools' own /var/lib/kdump/initrd.img (kdump-config load makes that link in kdump_create_symlinks()
/// before locate_kdump_kernel() checks KDUMP_INITRD), and another kernel's image is never used.
/// </summary>
public sealed class KdumpInitrdTests : IDisposable
{
    private const string Kver = "6.1.0-test-amd64";
    private readonly TempDir _dir = new();
    private string KdumpDir => Path.Combine(_dir.Path, "kdump");
    private string Out => Path.Combine(_dir.Path, "preconfig", "kdump-initrd.img");

    public void Dispose() => _dir.Dispose();

    private Dictionary<string, string> Env() => new()
    {
        ["PRECONFIG_KVER"] = Kver, ["PRECONFIG_KDUMP_DIR"] = KdumpDir, ["PRECONFIG_KDUMP_INITRD"] = Out,
        ["PRECONFIG_HANDOFF_INITRD"] = _dir.File("handoff.cpio.gz", "APPENDIX"),
        ["PRECONFIG_KDUMP_CONFIG"] = Path.Combine(_dir.Path, "no-kdump-config"),
        ["PRECONFIG_CRASH_LOADED"] = _dir.File("loaded", "0\n"),
        ["PRECONFIG_KDUMP_DEFAULTS"] = _dir.File("default/kdump-tools", $"KDUMP_INITRD={Out}\n"),
    };

    private static string Script => Path.Combine(ShellScript.Packaging, "kdump-tools", "preconfig-kdump-initrd");

    [Fact]
    public void The_running_kernels_image_gets_the_handoff_appended_root_only()
    {
        _dir.File("kdump/initrd.img-" + Kver, "BASE:");
        var r = ShellScript.Run(Script, Env(), "--if-configured");
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal("BASE:APPENDIX", File.ReadAllText(Out));
        Assert.Equal("600", ShellScript.Mode(Out));
    }

    [Fact]
    public void Without_a_base_image_kdump_tools_own_image_is_used_and_the_exit_is_zero()
    {
        var r = ShellScript.Run(Script, Env());
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal(Path.Combine(KdumpDir, "initrd.img"), new FileInfo(Out).LinkTarget);
    }

    [Fact]
    public void Another_kernels_image_is_never_the_base()
    {
        _dir.File("kdump/initrd.img-5.10.0-old-amd64", "OLD KERNEL:");
        File.CreateSymbolicLink(Path.Combine(KdumpDir, "initrd.img"), Path.Combine(KdumpDir, "initrd.img-5.10.0-old-amd64"));
        var r = ShellScript.Run(Script, Env());
        Assert.True(r.Code == 0, r.Out);
        Assert.Equal(Path.Combine(KdumpDir, "initrd.img"), new FileInfo(Out).LinkTarget);
        Assert.Contains("initrd.img-" + Kver + " missing", r.Out);
    }

    [Fact]
    public void With_the_file_system_full_kdump_tools_own_image_is_used()
    {
        _dir.File("kdump/initrd.img-" + Kver, new string('B', 256 * 1024));
        string outDir = Path.GetDirectoryName(Out)!;
        Directory.CreateDirectory(outDir);
        var r = ShellScript.RunCommand("unshare", ["-rm", "sh", "-c",
            $"mount -t tmpfs -o size=64k tmpfs {outDir} && {{ dd if=/dev/zero of={outDir}/fill bs=4k 2>/dev/null; sh {Script}; " +
            $"echo link=$(readlink {Out}); }}"], Env());
        Assert.True(r.Code == 0, r.Out);
        Assert.Contains("file system full", r.Out);
        Assert.Contains("link=" + Path.Combine(KdumpDir, "initrd.img"), r.Out);
    }

    [Fact]
    public void Not_configured_for_it_it_writes_nothing()
    {
        _dir.File("kdump/initrd.img-" + Kver, "BASE:");
        var env = Env();
        env["PRECONFIG_KDUMP_DEFAULTS"] = _dir.File("default/kdump-tools.stock", "KDUMP_INITRD=/var/lib/kdump/initrd.img\n");
        var r = ShellScript.Run(Script, env, "--if-configured");
        Assert.True(r.Code == 0, r.Out);
        Assert.False(File.Exists(Out) || new FileInfo(Out).LinkTarget is not null);
    }
}
