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

    /// <summary>Every byte of a capture of <paramref name="length"/> bytes is known.</summary>
    public static KnownBytes All(int length)
    {
        var k = new KnownBytes(length);
        k.Add(0, k.Length);
        return k;
    }

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
        for (int i = offset; i < offset + width; i++) if (!IsKnown(i)) return false;
        return true;
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
