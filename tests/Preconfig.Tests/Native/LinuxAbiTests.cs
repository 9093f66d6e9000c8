using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using Preconfig.ConfigSpace.Native;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Native;

/// <summary>
/// Every number the native boundary passes to libc or reads from it, checked against the C headers of each
/// architecture it claims: a C file of one <c>_Static_assert</c> per number, compiled (syntax only, nothing runs) by
/// clang for x86_64-linux-gnu (this machine's /usr/include) and aarch64-linux-gnu (Debian's libc6-dev-arm64-cross,
/// /usr/aarch64-linux-gnu/include). The headers are the oracle; scripts/install-deps.sh installs both. The constants
/// are found by reflection, so one added to <see cref="OpenFlags"/>, <see cref="LinuxAbi"/> or <see cref="Errno"/> is
/// checked without touching this test.
/// </summary>
public sealed class LinuxAbiTests
{
    private const string X64 = "x86_64-linux-gnu", Arm64 = "aarch64-linux-gnu";

    public static TheoryData<string> Targets => new() { X64, Arm64 };

    /// <summary>C expression and the value the C# code uses for it on <paramref name="target"/>.</summary>
    private static List<(string C, long Value)> Numbers(string target)
    {
        var numbers = new List<(string, long)>();
        var perArch = target == Arm64 ? typeof(OpenFlags.Arm64) : typeof(OpenFlags.X64);
        foreach (var type in new[] { typeof(OpenFlags), perArch, typeof(LinuxAbi), typeof(Errno) })
            foreach (var field in type.GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral))
                // ENOTSUPP is the kernel's own (include/linux/errno.h, 524): no user-space header defines it.
                if (field.Name != nameof(Errno.ENOTSUPP))
                    numbers.Add((field.Name, Convert.ToInt64(field.GetRawConstantValue())));
        numbers.Add(("offsetof(struct dirent64, d_reclen)", Dirent64.RecordLengthOffset));
        numbers.Add(("sizeof(((struct dirent64 *)0)->d_reclen)", 2));
        numbers.Add(("offsetof(struct dirent64, d_name)", Dirent64.NameOffset));
        numbers.Add(("sizeof(struct pollfd)", Marshal.SizeOf<PollFd>()));
        // SafeFiles reads struct statx by these offsets.
        numbers.Add(("offsetof(struct statx, stx_uid)", FileFacts.UidOffset));
        numbers.Add(("offsetof(struct statx, stx_mode)", FileFacts.ModeOffset));
        numbers.Add(("offsetof(struct statx, stx_size)", FileFacts.SizeOffset));
        numbers.Add(("offsetof(struct statx, stx_mtime)", FileFacts.MtimeOffset));
        numbers.Add(("offsetof(struct statx, stx_mtime.tv_nsec)", FileFacts.MtimeNsecOffset));
        numbers.Add(("sizeof(struct statx)", 256));
        numbers.Add(("offsetof(struct pollfd, events)", (long)Marshal.OffsetOf<PollFd>(nameof(PollFd.Events))));
        numbers.Add(("offsetof(struct pollfd, revents)", (long)Marshal.OffsetOf<PollFd>(nameof(PollFd.Revents))));
        // Libc's declarations: off_t as long, size_t/ssize_t as nint/nuint (8 bytes in a 64-bit process), nfds_t as nuint.
        numbers.Add(("sizeof(off_t)", sizeof(long)));
        numbers.Add(("sizeof(size_t)", 8));
        numbers.Add(("sizeof(ssize_t)", 8));
        numbers.Add(("sizeof(nfds_t)", 8));
        return numbers;
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public void Every_number_is_what_the_C_headers_of_the_architecture_define(string target)
    {
        var numbers = Numbers(target);
        Assert.Contains(numbers, n => n.C == "O_DIRECTORY");
        Assert.Contains(numbers, n => n.C == "EPIPE");
        var (code, errors) = Compile(target, numbers.Select(n => (n.C, n.Value)));
        Assert.True(code == 0, $"{target}: numbers that differ from the headers:\n{errors}");
    }

    [Fact]
    public void The_x86_64_O_DIRECTORY_is_O_DIRECT_on_arm64_so_the_check_tells_the_architectures_apart()
    {
        // The bug this boundary fixes (issue 25): 0x10000 opened a directory on arm64 with O_DIRECT, and failed EINVAL.
        var (x64OnArm, _) = Compile(Arm64, [("O_DIRECTORY", OpenFlags.X64.O_DIRECTORY)]);
        Assert.NotEqual(0, x64OnArm);
        var (direct, errors) = Compile(Arm64, [("O_DIRECT", OpenFlags.X64.O_DIRECTORY)]);
        Assert.True(direct == 0, errors);
        var (armOnX64, _) = Compile(X64, [("O_DIRECTORY", OpenFlags.Arm64.O_DIRECTORY)]);
        Assert.NotEqual(0, armOnX64);
    }

    [Fact]
    public void This_process_uses_its_own_architectures_numbers_and_others_are_refused_by_name()
    {
        Assert.Equal(RuntimeInformation.ProcessArchitecture, LinuxAbi.Architecture);
        int expected = RuntimeInformation.ProcessArchitecture switch
        {
            Architecture.X64 => OpenFlags.X64.O_DIRECTORY,
            Architecture.Arm64 => OpenFlags.Arm64.O_DIRECTORY,
            var other => throw new InvalidOperationException($"tests run on x64 or arm64, not {other}"),
        };
        Assert.Equal(expected, OpenFlags.O_DIRECTORY);
        var e = Assert.Throws<PlatformNotSupportedException>(() => LinuxAbi.Pick(Architecture.RiscV64, 1, 2));
        Assert.Contains("RiscV64", e.Message);
        Assert.Contains("x64 and arm64", e.Message);
    }

    /// <summary>clang -fsyntax-only of one _Static_assert per number for <paramref name="target"/>: exit code and messages.</summary>
    private static (int Code, string Errors) Compile(string target, IEnumerable<(string C, long Value)> numbers)
    {
        var c = new StringBuilder("""
            #define _GNU_SOURCE
            #include <dirent.h>
            #include <errno.h>
            #include <fcntl.h>
            #include <poll.h>
            #include <stddef.h>
            #include <sys/stat.h>
            #include <sys/types.h>
            #include <unistd.h>

            """);
        foreach (var (expression, value) in numbers)
            c.AppendLine($"_Static_assert(({expression}) == ({value}L), \"{expression} is not {value} (0x{value:x})\");");
        string dir = Path.Combine(Path.GetTempPath(), "preconfig-abi-" + Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        try
        {
            string file = Path.Combine(dir, "abi.c");
            File.WriteAllText(file, c.ToString());
            string clang = new[] { "/usr/bin/clang-14", "/usr/bin/clang" }.FirstOrDefault(File.Exists)
                ?? throw new InvalidOperationException("clang-14 not found: scripts/install-deps.sh installs it");
            var args = new List<string> { "--target=" + target, "-fsyntax-only", "-Werror", file };
            if (target == Arm64)
            {
                const string headers = "/usr/aarch64-linux-gnu/include";
                Assert.True(Directory.Exists(headers), $"{headers} is missing: scripts/install-deps.sh installs libc6-dev-arm64-cross");
                args.InsertRange(0, ["--sysroot=/usr/aarch64-linux-gnu", "-isystem", headers]);
            }
            var r = ExternalTool.Run(clang, [.. args]);
            return (r.ExitCode, r.Stderr);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
