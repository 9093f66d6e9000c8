using System.Globalization;
using System.Text;
using Preconfig.Handoff.Blob;

namespace Preconfig.Handoff.Stores;

/// <summary>One entry of a newc cpio archive.</summary>
public sealed record NewcEntry(string Name, uint Mode, byte[] Data);

/// <summary>
/// The "newc" cpio format (magic 070701) the kernel's initramfs unpacker reads (Documentation/driver-api/
/// early-userspace/buffer-format.rst): a 110-byte ASCII-hex header, the NUL-terminated name, data, each padded to 4
/// bytes. Malformed archives are <see cref="HandoffFormatException"/>s naming the offset.
/// </summary>
public static class NewcArchive
{
    public const int HeaderLength = 110;
    public const uint DirectoryMode = 0x41ed; // 040755
    public const uint FileMode = 0x81a4;      // 0100644
    private const string Trailer = "TRAILER!!!";
    private static ReadOnlySpan<byte> Magic => "070701"u8;

    public static bool HasMagic(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    /// <summary>The archive, padded to 512 bytes as GNU cpio pads, ending in TRAILER!!!.</summary>
    public static byte[] Write(IEnumerable<NewcEntry> entries)
    {
        var ms = new MemoryStream();
        uint ino = 1;
        foreach (var e in entries) WriteEntry(ms, e, ino++);
        WriteEntry(ms, new NewcEntry(Trailer, 0, []), 0);
        while (ms.Length % 512 != 0) ms.WriteByte(0);
        return ms.ToArray();
    }

    private static void WriteEntry(MemoryStream ms, NewcEntry e, uint ino)
    {
        byte[] name = Encoding.UTF8.GetBytes(e.Name + "\0");
        bool dir = (e.Mode & 0xf000) == 0x4000;
        uint[] fields = [ino, e.Mode, 0, 0, dir ? 2u : 1u, 0, (uint)e.Data.Length, 0, 0, 0, 0, (uint)name.Length, 0];
        var header = new StringBuilder("070701", HeaderLength);
        foreach (uint f in fields) header.Append(f.ToString("X8", CultureInfo.InvariantCulture));
        ms.Write(Encoding.ASCII.GetBytes(header.ToString()));
        ms.Write(name);
        Pad(ms);
        ms.Write(e.Data);
        Pad(ms);
    }

    private static void Pad(MemoryStream ms)
    {
        while (ms.Length % 4 != 0) ms.WriteByte(0);
    }

    /// <summary>
    /// Every entry of one or more concatenated archives (zero padding between them allowed, as the kernel allows).
    /// A later entry with the same name replaces an earlier one, as unpacking does.
    /// </summary>
    public static IReadOnlyList<NewcEntry> Read(ReadOnlySpan<byte> data)
    {
        var entries = new List<NewcEntry>();
        int pos = 0;
        while (pos < data.Length)
        {
            if (data[pos] == 0) { pos++; continue; }
            if (data.Length - pos < HeaderLength || !HasMagic(data[pos..]))
                throw new HandoffFormatException(pos, data.Length - pos < HeaderLength && Magic.StartsWith(data[pos..Math.Min(data.Length, pos + 6)])
                    ? "truncated cpio header" : "not a newc cpio header (magic 070701)");
            uint mode = Field(data, pos, 1), size = Field(data, pos, 6), nameSize = Field(data, pos, 11);
            int nameStart = pos + HeaderLength;
            if (nameSize == 0 || nameSize > 4096 || nameSize > data.Length - nameStart)
                throw new HandoffFormatException(pos + 6 + 11 * 8, $"cpio name size {nameSize} does not fit");
            var nameBytes = data.Slice(nameStart, (int)nameSize);
            if (nameBytes[^1] != 0) throw new HandoffFormatException(nameStart, "cpio name is not NUL-terminated");
            string name = Encoding.UTF8.GetString(nameBytes[..^1]);
            int dataStart = Align4(nameStart + (int)nameSize);
            if (dataStart > data.Length || size > data.Length - dataStart)
                throw new HandoffFormatException(pos + 6 + 6 * 8, $"cpio entry '{name}' of {size} bytes runs past the end ({data.Length - Math.Min(dataStart, data.Length)} left)");
            pos = Align4(dataStart + (int)size);
            if (name == Trailer) continue;
            entries.RemoveAll(e => e.Name == name);
            entries.Add(new NewcEntry(name, mode, data.Slice(dataStart, (int)size).ToArray()));
        }
        return entries;
    }

    private static int Align4(int n) => (n + 3) & ~3;

    private static uint Field(ReadOnlySpan<byte> data, int entry, int index)
    {
        int at = entry + 6 + index * 8;
        Span<char> hex = stackalloc char[8];
        for (int i = 0; i < 8; i++) hex[i] = (char)data[at + i];
        if (!uint.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v))
            throw new HandoffFormatException(at, "cpio header field is not hex");
        return v;
    }
}
