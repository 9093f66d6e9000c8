using System.IO.Abstractions;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Stores;

/// <summary>One planned slot write: which slot, where in PATH, and the blob.</summary>
public sealed record DevMemWrite(int Slot, long Offset, byte[] Blob, ulong Sequence);

/// <summary>
/// <c>devmem:PATH@OFFSET+SIZE</c>: SIZE bytes at OFFSET of PATH (<c>/dev/mem</c> over a range reserved at boot, with
/// <c>memmap=</c> on x86 or a no-map /reserved-memory node on arm64, and refused unless it is such a range: <see
/// cref="IomemMap"/>; a regular file in tests) split into two slots of SIZE/2. A save writes the slot that does
/// not hold the newest valid blob, with the next sequence number, so a write torn by a crash or power loss leaves
/// the previous snapshot intact; a load takes the valid slot with the highest sequence. A blob must fit in a slot.
/// </summary>
public sealed class DevMemStore : HandoffStore
{
    public const long MinSize = 256;
    /// <summary>Largest region accepted: bounds what a load reads into memory.</summary>
    public const long MaxSize = 256L << 20;

    private readonly IFileSystem _fs;
    public string Path { get; }
    public long Offset { get; }
    public long Size { get; }
    public int SlotSize { get; }
    public override string Spec { get; }

    /// <summary>
    /// The resource map (<see cref="IomemMap"/>) every write is checked against, or null for none: a store on a device
    /// node (<c>/dev/mem</c>) is checked against <c>/proc/iomem</c>; a regular file stands for memory only in tests,
    /// which name a map of their own.
    /// </summary>
    public string? Iomem { get; }

    public DevMemStore(IFileSystem fs, string path, long offset, long size, string? spec = null, string? iomem = null)
    {
        Iomem = iomem ?? (path.StartsWith("/dev/", StringComparison.Ordinal) ? IomemMap.DefaultPath : null);
        Spec = spec ?? $"devmem:{path}@0x{offset:x}+0x{size:x}";
        if (size < MinSize || size > MaxSize)
            throw new FormatException($"store '{Spec}': SIZE {size} is outside {MinSize}..{MaxSize}");
        _fs = fs;
        Path = path;
        Offset = offset;
        Size = size;
        SlotSize = (int)(size / 2 / 8 * 8);
    }

    /// <summary>
    /// Keys a capture kernel may still verify with (the previous key while a rotation keeps it,
    /// <see cref="HandoffKey.PreviousPath"/>): a slot valid with one of them is kept like one valid with the current
    /// key, so the first write after a rotation goes to the other slot and a torn write cannot take the last blob the
    /// loaded capture kernel can verify.
    /// </summary>
    public IReadOnlyList<HandoffKey> PreviousKeys { get; set; } = [];

    public long SlotOffset(int slot) => Offset + (long)slot * SlotSize;

    /// <summary>Both slots' bytes (zeros where PATH ends early).</summary>
    public byte[][] ReadSlots()
    {
        RequireFile(_fs, Path);
        var slots = new[] { new byte[SlotSize], new byte[SlotSize] };
        using var stream = _fs.FileStream.New(Path, FileMode.Open, FileAccess.Read);
        for (int i = 0; i < 2; i++)
        {
            stream.Seek(SlotOffset(i), SeekOrigin.Begin);
            int filled = 0;
            while (filled < SlotSize)
            {
                int n = stream.Read(slots[i], filled, SlotSize - filled);
                if (n == 0) break;
                filled += n;
            }
        }
        return slots;
    }

    public override StoreLoadResult Load(HandoffKey? key = null)
    {
        var slots = ReadSlots();
        DecodedBlob? best = null;
        int bestSlot = -1;
        var problems = new List<string>();
        for (int i = 0; i < 2; i++)
        {
            try
            {
                var blob = HandoffBlob.Read(slots[i], key, exact: false);
                if (best is null || blob.Info.Sequence > best.Info.Sequence) { best = blob; bestSlot = i; }
            }
            catch (HandoffFormatException e)
            {
                long at = e.Offset >= 0 ? SlotOffset(i) + e.Offset : -1;
                problems.Add($"slot {i} at 0x{SlotOffset(i):x}: {e.Reason}" + (at >= 0 ? $" (offset 0x{at:x} of {Path})" : ""));
            }
        }
        if (best is null) throw new HandoffFormatException(-1, $"{Spec}: no valid snapshot in either slot: {string.Join("; ", problems)}");
        return new StoreLoadResult(best, $"{Spec} slot {bestSlot}", problems);
    }

    /// <summary>
    /// Which slot the next save goes to, and the blob it writes there (nothing is written). The slot kept is the one
    /// holding the newest valid blob, valid as a load with <paramref name="key"/> (or one of <see cref="PreviousKeys"/>)
    /// would find it (intact, signed with the key when one is given, decompressing to its stated length), so a torn
    /// write can only damage the other;
    /// the sequence is one more than any intact header's, so the new blob is the newest whatever the other holds.
    /// </summary>
    public DevMemWrite PlanWrite(Snapshot snapshot, HandoffKey? key = null, BlobCompression compression = BlobCompression.Auto)
    {
        ulong highest = 0, newestValid = 0;
        int newestSlot = -1;
        if (_fs.File.Exists(Path))
        {
            var slots = ReadSlots();
            for (int i = 0; i < 2; i++)
            {
                if (HandoffBlob.IntactSequence(slots[i]) is not ulong sequence) continue;
                highest = Math.Max(highest, sequence);
                if (sequence < newestValid || !(LoadsWith(slots[i], key) || PreviousKeys.Any(k => LoadsWith(slots[i], k)))) continue;
                newestValid = sequence;
                newestSlot = i;
            }
        }
        int target = newestSlot == 0 ? 1 : 0;
        ulong next = highest < ulong.MaxValue ? highest + 1 : 1;
        var blob = HandoffBlob.Write(snapshot, new BlobWriteOptions { Sequence = next, Key = key, Compression = compression });
        if (blob.Length > SlotSize)
            throw new HandoffFormatException(-1, $"{Spec}: the blob is {blob.Length} bytes, a slot holds {SlotSize} (SIZE/2): reserve a larger region");
        return new DevMemWrite(target, SlotOffset(target), blob, next);
    }

    private static bool LoadsWith(byte[] slot, HandoffKey? key)
    {
        try
        {
            HandoffBlob.ReadBody(slot, key, exact: false);
            return true;
        }
        catch (HandoffFormatException)
        {
            return false;
        }
    }

    public override StoreWriteResult Save(Snapshot snapshot, HandoffKey? key = null, BlobCompression compression = BlobCompression.Auto)
    {
        var plan = PlanWrite(snapshot, key, compression);
        Apply(plan, plan.Blob.Length);
        return new StoreWriteResult(plan.Sequence, plan.Blob.Length, $"{Spec} slot {plan.Slot}");
    }

    /// <summary>Writes the first <paramref name="length"/> bytes of a planned write, then fsyncs (tests tear writes with it).</summary>
    public void Apply(DevMemWrite plan, int length)
    {
        CheckRange();
        try { Write(plan, length); }
        catch (UnauthorizedAccessException e)
        {
            // EPERM: kernel lockdown ("Lockdown: /dev/mem,kmem,port is restricted") or STRICT_DEVMEM refusing the range.
            throw new StoreRefusedException($"{Spec}: {Path} cannot be written ({e.Message}): kernel lockdown or STRICT_DEVMEM; " +
                "use a file: or initrd: store instead", e);
        }
    }

    /// <summary>Refuses, naming the conflict, a region that is not reserved memory of its own (<see cref="IomemMap.Refusal"/>).</summary>
    public void CheckRange()
    {
        if (Iomem is null) return;
        IomemMap map;
        try { map = IomemMap.Load(_fs, Iomem); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new StoreRefusedException($"{Spec}: cannot check the range against {Iomem} ({e.Message}): not written", e);
        }
        if (map.Refusal(Offset, Size) is { } why) throw new StoreRefusedException($"{Spec}: {why}: not written");
    }

    private void Write(DevMemWrite plan, int length)
    {
        // Never create device nodes: only a regular file that is missing may be created.
        string? dir = _fs.Path.GetDirectoryName(_fs.Path.GetFullPath(Path));
        if (dir is not null && !_fs.Directory.Exists(dir)) throw new DirectoryNotFoundException($"{Path}: no such directory {dir}");
        var mode = _fs.File.Exists(Path) || Path.StartsWith("/dev/", StringComparison.Ordinal) ? FileMode.Open : FileMode.CreateNew;
        using var stream = _fs.FileStream.New(Path, new FileStreamOptions
        {
            // Root-only when we create it (a test's regular file); the runtime refuses a create mode on FileMode.Open.
            Mode = mode, Access = FileAccess.ReadWrite, UnixCreateMode = mode == FileMode.CreateNew && !OperatingSystem.IsWindows() ? AtomicFile.Private : null,
        });
        stream.Seek(plan.Offset, SeekOrigin.Begin);
        stream.Write(plan.Blob, 0, length);
        Fsync(stream);
    }
}
