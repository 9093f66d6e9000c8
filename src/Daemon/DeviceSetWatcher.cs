using System.IO.Abstractions;

namespace Preconfig.Daemon;

/// <summary>
/// Notices a change in the set of PCI functions by listing <c>ROOT/devices</c> on every poll.
/// <para>
/// Why polling and not uevent netlink: listing a directory of a few hundred symlinks costs tens of microseconds, so a
/// 2-second poll is free and meets the 10-second promise with room to spare; it works the same on a temp tree in
/// tests and on any root, needs no CAP_NET_ADMIN-adjacent socket setup, and cannot miss an event: netlink drops
/// messages when its buffer overflows (ENOBUFS, which forces a full rescan anyway) and a daemon started after an
/// event never hears it. The set is what we compare, so add-then-remove between polls correctly means "no change".
/// </para>
/// </summary>
public sealed class DeviceSetWatcher(IFileSystem fileSystem, IReadOnlyList<string> roots)
{
    private HashSet<string>? _last;

    public IReadOnlyList<string> Roots { get; } = roots;

    /// <summary>The functions listed now (names under every root's <c>devices</c>); a missing root lists nothing.</summary>
    public HashSet<string> List()
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        foreach (var root in Roots)
        {
            string dir = fileSystem.Path.Combine(root, "devices");
            try
            {
                foreach (var entry in fileSystem.Directory.EnumerateFileSystemEntries(dir))
                    set.Add(root + "|" + fileSystem.Path.GetFileName(entry));
            }
            catch (DirectoryNotFoundException) { }
        }
        return set;
    }

    /// <summary>Remembers the current set as the one the last capture saw.</summary>
    public void Reset() => _last = List();

    /// <summary>True when the set differs from the one last remembered (and remembers the new one).</summary>
    public bool Changed(out int added, out int removed)
    {
        var now = List();
        added = removed = 0;
        if (_last is null) { _last = now; return false; }
        added = now.Count(n => !_last.Contains(n));
        removed = _last.Count(n => !now.Contains(n));
        _last = now;
        return added + removed > 0;
    }
}
