using System.IO.Abstractions;

namespace Preconfig.Preinit.Environment;

/// <summary>Where the capture-kernel signs are read from (configurable, so tests use a temp tree).</summary>
public sealed record EnvironmentPaths
{
    public string Cmdline { get; init; } = "/proc/cmdline";
    public string Vmcore { get; init; } = "/proc/vmcore";
    public string Kmsg { get; init; } = "/dev/kmsg";
    /// <summary>The device-tree property through which arm64 (and other device-tree) kdump hands the capture kernel its
    /// ELF core header: kexec-tools (kexec/arch/arm64/crashdump-arm64.c) and the kernel's kexec_file_load
    /// (drivers/of/kexec.c) put it in /chosen instead of <c>elfcorehdr=</c> on the command line, and
    /// drivers/of/fdt.c (early_init_dt_check_for_elfcorehdr) reads it there.</summary>
    public string DeviceTreeElfCoreHeader { get; init; } = "/sys/firmware/devicetree/base/chosen/linux,elfcorehdr";
    /// <summary>The handoff key inside the kdump initramfs. Boot mode requires a blob signed with it when the file
    /// exists (and <c>--key</c> names no other): packaging puts the host's key here in that image only.</summary>
    public string Key { get; init; } = DefaultKey;

    public const string DefaultKey = Preconfig.Handoff.Blob.HandoffKey.DefaultPath;
}

/// <summary>Whether this is a kdump capture kernel, and what said so.</summary>
public sealed record CaptureKernelStatus(bool IsCaptureKernel, string Evidence);

/// <summary>
/// Recognizes the kdump capture kernel: kexec-tools and kdump-tools put <c>elfcorehdr=</c> on its command line (x86)
/// or <c>linux,elfcorehdr</c> into the device tree's /chosen (arm64), distributions add <c>reset_devices</c>; the
/// kernel exposes the old memory as <c>/proc/vmcore</c>.
/// </summary>
public static class CaptureKernel
{
    /// <summary>
    /// <c>preconfig.boot_id=</c> on the capture kernel's command line: the boot id of the production boot that loaded
    /// this capture kernel (kdump loads it anew every boot, so the packaging can append this boot's id, read from
    /// <c>/proc/sys/kernel/random/boot_id</c>). Null when absent.
    /// </summary>
    public const string BootIdParameter = "preconfig.boot_id=";

    public static string? CrashedBootId(IFileSystem fs, EnvironmentPaths paths) =>
        Words(fs, paths).FirstOrDefault(w => w.StartsWith(BootIdParameter, StringComparison.Ordinal))?[BootIdParameter.Length..];

    private static string[] Words(IFileSystem fs, EnvironmentPaths paths)
    {
        string cmdline = "";
        try { if (fs.File.Exists(paths.Cmdline)) cmdline = fs.File.ReadAllText(paths.Cmdline); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return cmdline.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
    }

    public static CaptureKernelStatus Detect(IFileSystem fs, EnvironmentPaths paths)
    {
        foreach (var word in Words(fs, paths))
        {
            if (word == "reset_devices") return new(true, $"reset_devices on {paths.Cmdline}");
            if (word.StartsWith("elfcorehdr=", StringComparison.Ordinal)) return new(true, $"{word} on {paths.Cmdline}");
        }
        if (fs.File.Exists(paths.Vmcore)) return new(true, $"{paths.Vmcore} exists");
        if (fs.File.Exists(paths.DeviceTreeElfCoreHeader)) return new(true, $"{paths.DeviceTreeElfCoreHeader} exists");
        return new(false, $"no reset_devices or elfcorehdr= on {paths.Cmdline}, no {paths.Vmcore}, no {paths.DeviceTreeElfCoreHeader}");
    }
}
