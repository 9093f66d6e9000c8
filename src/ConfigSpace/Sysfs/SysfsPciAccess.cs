using System.Globalization;
using System.IO.Abstractions;
using System.Text;
using Preconfig.ConfigSpace.Native;

namespace Preconfig.ConfigSpace.Sysfs;

/// <summary>
/// The machine as sysfs shows it: functions are <c>ROOT/devices/&lt;dddd:bb:dd.f&gt;/</c> (ROOT defaults to
/// <c>/sys/bus/pci</c>; tests use a sysfs-shaped temp tree). <see cref="Open"/> hands out one
/// <see cref="SysfsConfigSpace"/> per function and keeps it open until this object is disposed.
/// </summary>
public sealed class SysfsPciAccess : IPciAccess, IDisposable
{
    private readonly IFileSystem _fs;
    private readonly bool _writable;
    private readonly Dictionary<PciAddress, SysfsConfigSpace> _open = [];
    private readonly Lock _lock = new();

    /// <param name="writable">False opens every config read-only (inspection, tests against the real /sys).</param>
    public SysfsPciAccess(IFileSystem fileSystem, string root = SysfsConfigSpace.DefaultRoot, bool writable = true)
        : this(SysfsBackend.For(fileSystem), root, writable) { }

    /// <summary>Over the given backend (the contract tests run each over the same tree).</summary>
    internal SysfsPciAccess(SysfsBackend backend, string root, bool writable = true)
    {
        Backend = backend;
        _fs = backend.Files;
        Root = root;
        _writable = writable;
    }

    public string Root { get; }

    /// <summary>How this access reads the tree, chosen once (<see cref="SysfsBackend.For"/>).</summary>
    internal SysfsBackend Backend { get; }

    /// <summary>Tests observe (and fail) attribute writes here: (path, text) -> null for success or the errno text.</summary>
    internal Func<string, string, string?>? AttributeWriteSeam { get; set; }
    public string Description => $"sysfs:{Root}";

    /// <summary>Directory entries under ROOT/devices whose names are PCI addresses, in address order.</summary>
    public IReadOnlyList<PciAddress> EnumerateFunctions()
    {
        string devices = _fs.Path.Combine(Root, "devices");
        // Entries are symlinks to directories on a real sysfs, plain directories in a tree we wrote.
        var list = Backend.ListFunctions(devices) ?? throw NoDevices(devices);
        list.Sort();
        return list;
    }

    private DirectoryNotFoundException NoDevices(string devices) => new($"{devices}: no such directory (is {Root} a sysfs PCI root?)");


    /// <summary>The function's config space, opened once and shared (reopened after it was found removed).</summary>
    public IConfigSpace Open(PciAddress address) => OpenSysfs(address);

    /// <inheritdoc cref="Open"/>
    public SysfsConfigSpace OpenSysfs(PciAddress address) => OpenSysfs(address, out _);

    private SysfsConfigSpace OpenSysfs(PciAddress address, out bool opened)
    {
        lock (_lock)
        {
            opened = false;
            if (_open.TryGetValue(address, out var space) && !space.Removed) return space;
            space?.Dispose();
            _open.Remove(address);
            space = new SysfsConfigSpace(Backend, DeviceDirectory(address), address, _writable, null);
            _open[address] = space;
            opened = true;
            return space;
        }
    }

    /// <summary>The whole space: when this call opened it, the bytes the open read (one pread for everything);
    /// when it was open already, read now.</summary>
    public byte[] ReadConfig(PciAddress address)
    {
        var space = OpenSysfs(address, out bool opened);
        return (opened ? space.TakeOpeningRead() : null) ?? space.ReadAll();
    }

    /// <summary>
    /// The capture's read (<see cref="SysfsFunctionReader"/>): only the files a snapshot needs, through this access's
    /// backend, on several threads; no config space is opened and kept (nothing here is ever written).
    /// </summary>
    public IReadOnlyList<FunctionRead> ReadFunctions(IReadOnlyList<PciAddress> addresses, Func<ReadOnlySpan<byte>, FunctionInfoParts> parts) =>
        SysfsFunctionReader.ReadAll(Backend, Root, addresses, parts);

    public PciFunctionInfo Describe(PciAddress address) => Describe(address, FunctionInfoParts.All);

    /// <summary>The parts asked for; the others are left empty (no driver, no reset methods, no resources, boot_vga unknown).</summary>
    public PciFunctionInfo Describe(PciAddress address, FunctionInfoParts parts) => Backend.Describe(address, DeviceDirectory(address), parts);

    /// <summary>sysfs <c>reset_method</c>: the enabled methods, space separated, in the order the kernel tries them.</summary>
    public static string[] ParseResetMethods(ReadOnlySpan<byte> text)
    {
        var methods = new List<string>(4);
        foreach (var range in text.SplitAny(" \n"u8))
            if (!text[range].IsEmpty) methods.Add(Encoding.UTF8.GetString(text[range]));
        return [.. methods];
    }

    /// <summary>The kernel's name for a device's own reset (pci_dev_specific_reset(), drivers/pci/quirks.c).</summary>
    public const string DeviceSpecificReset = "device_specific";

    /// <summary>
    /// What is written to <c>reset_method</c> to reset by <paramref name="method"/>, given the methods the function
    /// offers: the method alone, or "device_specific METHOD" when the function offers a device-specific reset. The
    /// kernel ranks that one first (pci_reset_fn_methods[1], drivers/pci/pci.c) and reset_method_store() warns when a
    /// user list drops it ("Device-specific reset disabled/de-prioritized by user"): it is the device's own reset,
    /// e.g. nvme_disable_and_flr() for Samsung NVMe a802/a804 (the driver fails to bind after a plain FLR) and
    /// delay_250ms_after_flr() for Intel 0953/0a54 (quirks.c pci_dev_reset_methods[]).
    /// __pci_reset_function_locked() tries the list in order and goes on only when a method returns -ENOTTY.
    /// </summary>
    public static string ResetMethodSelection(string method, IReadOnlyList<string> offered)
    {
        if (method == DeviceSpecificReset) return method;
        foreach (string m in offered)
            if (m == DeviceSpecificReset) return $"{DeviceSpecificReset} {method}";
        return method;
    }

    /// <summary>
    /// Selects <paramref name="method"/> in <c>reset_method</c> (after the device-specific reset when the function
    /// offers one: <see cref="ResetMethodSelection"/>), writes 1 to <c>reset</c>, then puts the previous
    /// <c>reset_method</c> list back (verbatim, so the same methods stay enabled in the same order; "default" when it
    /// could not be read). Never throws for a failed write: the status says what each write returned.
    /// </summary>
    public ResetRequestResult RequestReset(PciAddress address, string method) => RequestReset(address, method, null);

    /// <summary>With <see cref="ResetChild"/>: the <c>reset</c> write is made by a child process abandoned at
    /// <paramref name="bound"/> (<see cref="Sysfs.ResetChild"/>); then <c>reset_method</c> is not put back (the
    /// kernel is still in the reset, holding the device).</summary>
    public ResetRequestResult RequestReset(PciAddress address, string method, TimeSpan bound) =>
        RequestReset(address, method, ResetChild is null ? null : bound);

    /// <summary>The child process that writes <c>reset</c>; null writes it from this process (the call then blocks as
    /// long as the kernel does).</summary>
    public ResetChild? ResetChild { get; init; }

    public bool BoundsResets => ResetChild is not null;

    private ResetRequestResult RequestReset(PciAddress address, string method, TimeSpan? bound)
    {
        string dir = DeviceDirectory(address);
        if (!_fs.Directory.Exists(dir)) return new ResetRequestResult(false, $"{address}: no sysfs node {dir}");
        string methodPath = _fs.Path.Combine(dir, "reset_method");
        string resetPath = _fs.Path.Combine(dir, "reset");
        string? previous = null;
        try { previous = _fs.File.ReadAllText(methodPath).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }

        var status = new StringBuilder();
        string selection = ResetMethodSelection(method, previous is null ? [] : ParseResetMethods(Encoding.UTF8.GetBytes(previous)));
        string? selectError = WriteAttribute(methodPath, selection);
        status.Append(CultureInfo.InvariantCulture, $"reset_method={selection}: {selectError ?? "ok"}");
        bool reported = false;
        if (selectError is null)
        {
            string? resetError;
            if (bound is { } b && ResetChild is { } child)
            {
                var outcome = child.Write(resetPath, "1", b);
                if (outcome.Abandoned)
                {
                    status.Append(CultureInfo.InvariantCulture, $"; reset=1: {outcome.Error}; reset_method left as {method}");
                    return new ResetRequestResult(false, status.ToString(), Abandoned: true);
                }
                resetError = outcome.Error;
            }
            else resetError = WriteAttribute(resetPath, "1");
            reported = resetError is null;
            status.Append(CultureInfo.InvariantCulture, $"; reset=1: {resetError ?? "ok"}");
            string restore = previous ?? "default";
            string? restoreError = WriteAttribute(methodPath, restore.Length == 0 ? "\n" : restore);
            status.Append(CultureInfo.InvariantCulture, $"; reset_method={(restore.Length == 0 ? "''" : restore)}: {restoreError ?? "ok"}");
        }
        return new ResetRequestResult(reported, status.ToString());
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var space in _open.Values) space.Dispose();
            _open.Clear();
        }
    }

    /// <summary>Parses a sysfs <c>resource</c> file: one line per resource, "0x%016llx 0x%016llx 0x%016llx" (start
    /// end flags). Line i is resource i: BARs 0-5, ROM 6, SR-IOV VF BARs 7-12, bridge windows 13-16. Works on the
    /// file's bytes (a capture parses a thousand of these; no string per line or number).</summary>
    public static IReadOnlyList<BarResource> ParseResources(ReadOnlySpan<byte> text, string where)
    {
        var list = new List<BarResource>(17);
        for (int i = 0; ; i++)
        {
            int newline = text.IndexOf((byte)'\n');
            var line = newline < 0 ? text : text[..newline];
            if (line.SequenceEqual(EmptyResourceLine)) list.Add(new BarResource(i, 0, 0, 0)); // most lines of a real file
            else if (!(line = line.Trim(AsciiWhiteSpace)).IsEmpty)
            {
                if (!TryParseResourceLine(line, out ulong start, out ulong end, out ulong flags))
                    throw new InvalidDataException($"{where}:{i + 1}: expected 'start end flags' in hex, got '{Encoding.UTF8.GetString(line)}'");
                list.Add(new BarResource(i, start, end, flags));
            }
            if (newline < 0) return list;
            text = text[(newline + 1)..];
        }
    }

    /// <inheritdoc cref="ParseResources(ReadOnlySpan{byte}, string)"/>
    public static IReadOnlyList<BarResource> ParseResources(string text, string where) => ParseResources(Encoding.UTF8.GetBytes(text), where);

    private static ReadOnlySpan<byte> EmptyResourceLine => "0x0000000000000000 0x0000000000000000 0x0000000000000000"u8;

    // What string.Trim removes, for ASCII text.
    internal static ReadOnlySpan<byte> AsciiWhiteSpace => " \t\n\v\f\r"u8;

    /// <summary>Exactly three space-separated "0x" hex numbers of at most 64 bits.</summary>
    private static bool TryParseResourceLine(ReadOnlySpan<byte> line, out ulong start, out ulong end, out ulong flags)
    {
        start = end = flags = 0;
        // The kernel's own form, "0x%016llx 0x%016llx 0x%016llx": every line of a real file.
        if (line.Length == 56 && line[18] == ' ' && line[37] == ' ')
            return TryHex(line[..18], out start) && TryHex(line[19..37], out end) && TryHex(line[38..], out flags);
        Span<ulong> fields = stackalloc ulong[3];
        int count = 0;
        foreach (var range in line.Split((byte)' '))
        {
            var word = line[range];
            if (word.IsEmpty) continue;
            if (count == 3 || !TryHex(word, out fields[count])) return false;
            count++;
        }
        (start, end, flags) = (fields[0], fields[1], fields[2]);
        return count == 3;
    }

    /// <summary>"0x" then hex digits (leading zeros allowed) of a value that fits 64 bits.</summary>
    private static bool TryHex(ReadOnlySpan<byte> word, out ulong value)
    {
        value = 0;
        if (word.Length < 3 || word[0] != '0' || (word[1] | 0x20) != 'x') return false;
        var digits = word[2..];
        int leadingZeros = digits.IndexOfAnyExcept((byte)'0');
        if (leadingZeros < 0) return true;
        digits = digits[leadingZeros..];
        if (digits.Length > 16) return false;
        ulong v = 0;
        foreach (byte b in digits)
        {
            int digit = HexValues[b];
            if (digit > 15) return false;
            v = v << 4 | (uint)digit;
        }
        value = v;
        return true;
    }

    // Each byte's hex digit value, 0xff for a byte that is not one.
    private static ReadOnlySpan<byte> HexValues =>
    [
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 255, 255, 255, 255, 255, 255,
        255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 10, 11, 12, 13, 14, 15, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
        255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255,
    ];

    private string DeviceDirectory(PciAddress address) => SysfsConfigSpace.DeviceDirectory(_fs, Root, address);


    /// <summary>One write(2) of <paramref name="text"/> to an existing attribute; null on success, else the errno text.</summary>
    private string? WriteAttribute(string path, string text)
    {
        if (AttributeWriteSeam is not null) return AttributeWriteSeam(path, text);
        try
        {
            // O_TRUNC as the shell's "echo x > attr": harmless on sysfs, and keeps a regular file in a test tree exact.
            using var stream = _fs.FileStream.New(path, FileMode.Truncate, FileAccess.Write, FileShare.ReadWrite, 0, FileOptions.None);
            stream.Write(Encoding.ASCII.GetBytes(text));
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Errno.Describe(e);
        }
    }
}
