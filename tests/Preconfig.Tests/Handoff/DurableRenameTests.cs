using System.Text.RegularExpressions;
using Preconfig.Tests.Capture;
using Preconfig.Tests.Lspci;

namespace Preconfig.Tests.Handoff;

/// <summary>
/// issue 24 item 8 ("no directory fsync after rename"): a store file replaced by rename is durable only once its
/// directory is synced too (fsync(2) NOTES: "Calling fsync() does not necessarily ensure that the entry in the
/// directory containing the file has also reached disk. For that an explicit fsync() on a file descriptor for the
/// directory is also needed."). The oracle is the kernel's own account of what the built CLI did: strace's record
/// of its system calls while `preconfig capture` writes a file store.
/// </summary>
public sealed partial class DurableRenameTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_file_store_is_fsynced_then_renamed_then_its_directory_is_fsynced()
    {
        string store = Path.Combine(_dir.Path, "handoff.pcfg"), trace = Path.Combine(_dir.Path, "trace");
        string machine = Path.Combine(RepoPaths.Fixtures, "machines", "demo.json");
        var r = ExternalTool.Run(Strace, "-f", "-o", trace, "-e", "trace=openat,rename,renameat,renameat2,fsync,close",
            ExternalTool.Preconfig, "capture", "--source", "sim:" + machine, "--out", "file:" + store);
        Assert.True(r.ExitCode == 0, r.Stderr);
        Assert.True(File.Exists(store));

        // Follow the calls in order: which fd names what, the temp file's fsync, the rename onto the store, and
        // then an fsync of a descriptor opened on the store's directory.
        var fds = new Dictionary<string, string>();
        string? temp = null;
        bool tempSynced = false, renamed = false, directorySynced = false;
        foreach (string line in File.ReadLines(trace))
        {
            var open = Open().Match(line);
            if (open.Success)
            {
                string path = open.Groups["path"].Value;
                fds[open.Groups["fd"].Value] = path;
                if (line.Contains("O_CREAT") && Path.GetFileName(path).StartsWith(".handoff.pcfg.", StringComparison.Ordinal)) temp = path;
                continue;
            }
            var sync = Sync().Match(line);
            if (sync.Success && fds.TryGetValue(sync.Groups["fd"].Value, out string? what))
            {
                if (what == temp && !renamed) tempSynced = true;
                if (what == _dir.Path && renamed) directorySynced = true;
                continue;
            }
            var rename = Rename().Match(line);
            if (rename.Success && rename.Groups["to"].Value == store)
            {
                Assert.Equal(temp, rename.Groups["from"].Value);
                Assert.True(tempSynced, $"{temp} renamed onto {store} before its data was fsynced");
                renamed = true;
            }
        }
        Assert.True(renamed, $"no rename onto {store} in the trace:\n{File.ReadAllText(trace)}");
        Assert.True(directorySynced, $"{_dir.Path} was not fsynced after the rename:\n{File.ReadAllText(trace)}");
    }

    private static string Strace
    {
        get
        {
            foreach (var dir in new[] { "/usr/bin", "/bin", "/usr/local/bin" })
                if (File.Exists(Path.Combine(dir, "strace"))) return Path.Combine(dir, "strace");
            throw new InvalidOperationException("strace not found: install it (scripts/install-deps.sh does)");
        }
    }

    // strace -f lines: "PID openat(AT_FDCWD, "/path", O_...) = FD", "PID fsync(FD) = 0", "PID rename("/a", "/b") = 0"
    // (renameat/renameat2 name the directory fds first: AT_FDCWD when the paths are absolute).
    [GeneratedRegex("""openat\(AT_FDCWD, "(?<path>[^"]+)", [^)]*\) = (?<fd>\d+)""")]
    private static partial Regex Open();
    [GeneratedRegex("""fsync\((?<fd>\d+)\) += 0""")]
    private static partial Regex Sync();
    [GeneratedRegex(""""rename(?:at2?)?\((?:AT_FDCWD, )?"(?<from>[^"]+)", (?:AT_FDCWD, )?"(?<to>[^"]+)"""")]
    private static partial Regex Rename();
}
