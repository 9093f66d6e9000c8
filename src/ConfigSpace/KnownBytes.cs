using Preconfig.ConfigSpace.Registers;

namespace Preconfig.ConfigSpace;

/// <summary>
/// Which bytes of a captured config space were really captured. A dump with short or missing rows holds 0xff where it
/// says nothing (as lspci's dump backend fills them); those bytes are unknown, and nothing is ever written from them.
/// At most 4096 bytes; a bit per byte.
/// </summary>
public sealed class KnownBytes
{
    private readonly ulong[] _bits = new ulong[Header.ExtConfigSize / 64];

    /// <summary>The captured length these bytes are part of (bytes at or past it are never known).</summary>
    public int Length { get; }

    private KnownBytes(int length) => Length = Math.Clamp(length, 0, Header.ExtConfigSize);

    /// <summary>Every byte of a capture of <paramref name="length"/> bytes is known. Shared per length: nothing can
    /// change it (<see cref="Add"/> marks bytes that are known already; <see cref="Clip"/> makes a new one).</summary>
    public static KnownBytes All(int length)
    {
        int clamped = Math.Clamp(length, 0, Header.ExtConfigSize);
        if (clamped == Header.ExtConfigSize) return AllOf4096 ??= Whole(clamped);
        if (clamped == Header.StdConfigSize) return AllOf256 ??= Whole(clamped);
        return Whole(clamped);
    }

    private static KnownBytes? AllOf4096, AllOf256;

    private static KnownBytes Whole(int length)
    {
        var k = new KnownBytes(length);
        k.Add(0, k.Length);
        k._whole = true;
        return k;
    }

    // Every byte below Length known, for good (no method takes a byte back): Covers needs no look at the bits. The
    // planner asks for every register it plans, of every function, and most captures are whole.
    private bool _whole;

    /// <summary>No byte of a capture of <paramref name="length"/> bytes is known yet (<see cref="Add"/> marks them).</summary>
    public static KnownBytes None(int length) => new(length);

    /// <summary>The same known bytes for a capture of <paramref name="length"/> bytes (those at or past it dropped).</summary>
    public KnownBytes Clip(int length)
    {
        var k = new KnownBytes(length);
        _bits.CopyTo(k._bits, 0);
        for (int i = k.Length; i < Header.ExtConfigSize; i++) k._bits[i >> 6] &= ~(1UL << (i & 63));
        return k;
    }

    /// <summary>The union of byte ranges, clipped to [0, <paramref name="length"/>); ranges may overlap or be empty.</summary>
    public static KnownBytes FromRanges(IEnumerable<(int Offset, int Length)> ranges, int length)
    {
        var k = new KnownBytes(length);
        foreach (var (offset, count) in ranges) k.Add(offset, count);
        return k;
    }

    /// <summary>Marks [offset, offset+count) known (clipped to <see cref="Length"/>).</summary>
    public void Add(int offset, int count)
    {
        int start = Math.Max(0, offset), end = (int)Math.Min((long)offset + Math.Max(0, count), Length);
        while (start < end)
        {
            // A word at a time: a whole capture is 64 words, not 4096 bits.
            int bit = start & 63, n = Math.Min(64 - bit, end - start);
            _bits[start >> 6] |= (n == 64 ? ~0UL : ((1UL << n) - 1)) << bit;
            start += n;
        }
    }

    public bool IsKnown(int offset) => offset >= 0 && offset < Length && (_bits[offset >> 6] & (1UL << (offset & 63))) != 0;

    /// <summary>Whether every byte of [offset, offset+width) was captured.</summary>
    public bool Covers(int offset, int width)
    {
        if (offset < 0 || width <= 0 || offset + width > Length) return false;
        if (_whole) return true;
        int end = offset + width;
        while (offset < end)
        {
            // The bits of this word that fall in the range must all be set.
            int bit = offset & 63, n = Math.Min(64 - bit, end - offset);
            ulong mask = (n == 64 ? ~0UL : ((1UL << n) - 1)) << bit;
            if ((_bits[offset >> 6] & mask) != mask) return false;
            offset += n;
        }
        return true;
    }

    /// <summary>
    /// Copies the known bytes of <paramref name="from"/> over <paramref name="to"/> (as far as both reach), leaving the
    /// others as they are: a whole word of 64 known bytes at a time, byte by byte only where known and unknown mix.
    /// </summary>
    public void CopyKnown(ReadOnlySpan<byte> from, Span<byte> to)
    {
        int length = Math.Min(Math.Min(from.Length, to.Length), Length);
        for (int start = 0; start < length; start += 64)
        {
            ulong word = _bits[start >> 6];
            int n = Math.Min(64, length - start);
            if (word == ~0UL) from.Slice(start, n).CopyTo(to.Slice(start, n));
            else if (word != 0)
                for (int i = 0; i < n; i++)
                    if ((word & (1UL << i)) != 0) to[start + i] = from[start + i];
        }
    }

    /// <summary>Every byte of the capture is known.</summary>
    public bool IsComplete => Covers(0, Length);

    /// <summary>The known bytes as ascending, non-adjacent ranges.</summary>
    public IReadOnlyList<(int Offset, int Length)> Ranges => Runs(known: true);

    /// <summary>The unknown bytes below <see cref="Length"/> as ranges.</summary>
    public IReadOnlyList<(int Offset, int Length)> Gaps => Runs(known: false);

    private List<(int, int)> Runs(bool known)
    {
        var list = new List<(int, int)>();
        int i = 0;
        while (i < Length)
        {
            if (IsKnown(i) != known) { i++; continue; }
            int start = i;
            while (i < Length && IsKnown(i) == known) i++;
            list.Add((start, i - start));
        }
        return list;
    }

    /// <summary>"0x70-0xff": a range as people read it.</summary>
    public static string Describe(int offset, int length) => length == 1 ? $"0x{offset:x}" : $"0x{offset:x}-0x{offset + length - 1:x}";

    /// <summary>"0x68-0x6f, 0x80-0x8f": the unknown bytes as people read them (empty when every byte is known).</summary>
    public string DescribeGaps()
    {
        var sb = new System.Text.StringBuilder();
        foreach (var (offset, length) in Gaps) sb.Append(sb.Length > 0 ? ", " : "").Append(Describe(offset, length));
        return sb.ToString();
    }
}
