using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using Preconfig.Handoff.Model;

namespace Preconfig.Handoff.Blob;

/// <summary>How the body is stored. <see cref="Auto"/> compresses (Brotli) and keeps the result only when it is smaller.</summary>
public enum BlobCompression { Auto, None, Deflate, Brotli }

[Flags]
public enum BlobFlags : uint
{
    None = 0,
    Deflate = 1,
    Brotli = 2,
    Signed = 4,
}

/// <summary>What a blob's header says, once checked.</summary>
public sealed record BlobInfo(
    ushort FormatVersion, int HeaderLength, BlobFlags Flags, ulong Sequence, int BodyLength, int RawBodyLength, uint Crc)
{
    public int TotalLength => HeaderLength + BodyLength;
    public bool Signed => (Flags & BlobFlags.Signed) != 0;
    public string Compression => (Flags & BlobFlags.Deflate) != 0 ? "deflate" : (Flags & BlobFlags.Brotli) != 0 ? "brotli" : "none";
}

/// <summary>A blob that passed every check, with its snapshot.</summary>
public sealed record DecodedBlob(BlobInfo Info, Snapshot Snapshot, bool SignatureChecked);

/// <summary>Options for <see cref="HandoffBlob.Write"/>.</summary>
public sealed record BlobWriteOptions
{
    public ulong Sequence { get; init; } = 1;
    public HandoffKey? Key { get; init; }
    public BlobCompression Compression { get; init; } = BlobCompression.Auto;
}

/// <summary>
/// The framed blob (docs/handoff-format.md): a fixed little-endian header, then the MessagePack body, compressed
/// when that pays. Every malformed, damaged or forged blob is a <see cref="HandoffFormatException"/> naming the offset.
/// </summary>
public static class HandoffBlob
{
    /// <summary>"PCFG", then CR LF SUB LF as PNG does, so text-mode mangling and truncated transfers show.</summary>
    public static ReadOnlySpan<byte> Magic => "PCFG\r\n\x1a\n"u8;

    public const ushort FormatVersion = 1;
    public const int FixedHeaderLength = 48;
    public const int MacLength = 32;
    /// <summary>
    /// Largest stored or decompressed body accepted: bounds what reading a blob allocates before the body is decoded
    /// (the decoder's own limits are in <see cref="SnapshotBody"/>). A real body takes about 450 bytes per function.
    /// </summary>
    public const int MaxBodyLength = 32 << 20;

    private const int OffVersion = 8, OffHeaderLength = 10, OffFlags = 12, OffSequence = 16, OffBodyLength = 24,
        OffRawLength = 28, OffCrc = 32, OffReserved = 36, OffMac = FixedHeaderLength;

    public static bool HasMagic(ReadOnlySpan<byte> data) => data.StartsWith(Magic);

    public static byte[] Write(Snapshot snapshot, BlobWriteOptions? options = null)
    {
        using var body = new PooledBufferWriter(4096 + snapshot.Devices.Count * 512);
        SnapshotBody.Encode(snapshot, body);
        return Frame(body.WrittenSpan, options ?? new BlobWriteOptions());
    }

    /// <summary>Frames an encoded body: compresses it as asked, fills the header, signs, checksums.</summary>
    public static byte[] Frame(ReadOnlySpan<byte> rawBody, BlobWriteOptions options)
    {
        if (rawBody.Length > MaxBodyLength) throw new ArgumentException($"body of {rawBody.Length} bytes exceeds {MaxBodyLength}");
        var flags = BlobFlags.None;
        byte[]? packed = options.Compression switch
        {
            BlobCompression.None => null,
            BlobCompression.Deflate => Compress(rawBody, brotli: false),
            _ => Compress(rawBody, brotli: true),
        };
        if (packed is not null && options.Compression == BlobCompression.Auto && packed.Length >= rawBody.Length) packed = null;
        if (packed is not null) flags |= options.Compression == BlobCompression.Deflate ? BlobFlags.Deflate : BlobFlags.Brotli;
        ReadOnlySpan<byte> body = packed ?? rawBody;
        if (options.Key is not null) flags |= BlobFlags.Signed;

        int headerLength = options.Key is null ? FixedHeaderLength : FixedHeaderLength + MacLength;
        var blob = new byte[checked(headerLength + body.Length)];
        var header = blob.AsSpan(0, headerLength);
        Magic.CopyTo(header);
        BinaryPrimitives.WriteUInt16LittleEndian(header[OffVersion..], FormatVersion);
        BinaryPrimitives.WriteUInt16LittleEndian(header[OffHeaderLength..], (ushort)headerLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OffFlags..], (uint)flags);
        BinaryPrimitives.WriteUInt64LittleEndian(header[OffSequence..], options.Sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OffBodyLength..], (uint)body.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(header[OffRawLength..], (uint)rawBody.Length);
        body.CopyTo(blob.AsSpan(headerLength));
        // The MAC covers the header (CRC and MAC fields zero) and the body; the CRC covers all of it, MAC included.
        options.Key?.Compute(header, body, header.Slice(OffMac, MacLength));
        BinaryPrimitives.WriteUInt32LittleEndian(header[OffCrc..], ComputeCrc(header, body));
        return blob;
    }

    private static byte[] Compress(ReadOnlySpan<byte> raw, bool brotli)
    {
        if (brotli)
        {
            var dest = ArrayPool<byte>.Shared.Rent(BrotliEncoder.GetMaxCompressedLength(raw.Length));
            try
            {
                // Quality 3, 4 MiB window. On the version 2 body of 870 functions quality 5 is 4% smaller (15.0 vs 15.7
                // KB) but takes 2.0 ms against 0.85 in a fresh process (its hash tables are bigger: more to allocate and
                // fault in), an eighth of a whole capture; 2 is 1% larger for no time saved, 1 5% larger (bench/README.md).
                if (!BrotliEncoder.TryCompress(raw, dest, out int written, quality: 3, window: 22))
                    throw new InvalidOperationException("Brotli compression failed");
                return dest[..written];
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(dest);
            }
        }
        var ms = new MemoryStream(raw.Length / 4 + 64);
        using (var z = new DeflateStream(ms, CompressionLevel.Optimal, leaveOpen: true)) z.Write(raw);
        return ms.ToArray();
    }

    private static uint ComputeCrc(ReadOnlySpan<byte> header, ReadOnlySpan<byte> body)
    {
        uint crc = Crc32C.Append(Crc32C.Initial, header[..OffCrc]);
        crc = Crc32C.Append(crc, [0, 0, 0, 0]);
        crc = Crc32C.Append(crc, header[(OffCrc + 4)..]);
        return Crc32C.Finish(Crc32C.Append(crc, body));
    }

    /// <summary>
    /// Checks the header of the blob at the start of <paramref name="data"/> (magic, version, lengths, flags,
    /// reserved fields) without the CRC. <paramref name="data"/> may run on past the blob (a store slot).
    /// </summary>
    public static BlobInfo ReadHeader(ReadOnlySpan<byte> data)
    {
        if (data.Length < Magic.Length)
        {
            if (Magic.StartsWith(data)) throw new HandoffFormatException(data.Length, $"truncated: {data.Length} bytes, shorter than the magic");
        }
        if (!HasMagic(data))
        {
            int bad = 0;
            while (bad < data.Length && bad < Magic.Length && data[bad] == Magic[bad]) bad++;
            throw new HandoffFormatException(bad, "not a handoff blob (bad magic)");
        }
        if (data.Length < FixedHeaderLength)
            throw new HandoffFormatException(data.Length, $"truncated: {data.Length} bytes, the header alone is {FixedHeaderLength}");
        ushort version = BinaryPrimitives.ReadUInt16LittleEndian(data[OffVersion..]);
        if (version != FormatVersion)
            throw new HandoffFormatException(OffVersion, $"format version {version} is not supported (this tool reads {FormatVersion})");
        uint rawFlags = BinaryPrimitives.ReadUInt32LittleEndian(data[OffFlags..]);
        var flags = (BlobFlags)rawFlags;
        if ((rawFlags & ~(uint)(BlobFlags.Deflate | BlobFlags.Brotli | BlobFlags.Signed)) != 0)
            throw new HandoffFormatException(OffFlags, $"unknown flags 0x{rawFlags:x8}");
        if ((flags & (BlobFlags.Deflate | BlobFlags.Brotli)) == (BlobFlags.Deflate | BlobFlags.Brotli))
            throw new HandoffFormatException(OffFlags, "both Deflate and Brotli flagged");
        int expectedHeader = (flags & BlobFlags.Signed) != 0 ? FixedHeaderLength + MacLength : FixedHeaderLength;
        ushort headerLength = BinaryPrimitives.ReadUInt16LittleEndian(data[OffHeaderLength..]);
        if (headerLength != expectedHeader)
            throw new HandoffFormatException(OffHeaderLength, $"header length {headerLength}, expected {expectedHeader} for flags 0x{rawFlags:x}");
        if (BinaryPrimitives.ReadUInt32LittleEndian(data[OffReserved..]) != 0 || BinaryPrimitives.ReadUInt64LittleEndian(data[(OffReserved + 4)..]) != 0)
            throw new HandoffFormatException(OffReserved, "reserved header bytes are not zero");
        uint bodyLength = BinaryPrimitives.ReadUInt32LittleEndian(data[OffBodyLength..]);
        uint rawLength = BinaryPrimitives.ReadUInt32LittleEndian(data[OffRawLength..]);
        if (bodyLength > MaxBodyLength)
            throw new HandoffFormatException(OffBodyLength, $"body length {bodyLength} exceeds the {MaxBodyLength} accepted");
        if (rawLength > MaxBodyLength)
            throw new HandoffFormatException(OffRawLength, $"decompressed length {rawLength} exceeds the {MaxBodyLength} accepted");
        bool compressed = (flags & (BlobFlags.Deflate | BlobFlags.Brotli)) != 0;
        if (!compressed && rawLength != bodyLength)
            throw new HandoffFormatException(OffRawLength, $"uncompressed body, but decompressed length {rawLength} differs from body length {bodyLength}");
        long total = (long)headerLength + bodyLength;
        if (total > data.Length)
            throw new HandoffFormatException(data.Length, $"truncated: the header says {total} bytes, {data.Length} present");
        uint crc = BinaryPrimitives.ReadUInt32LittleEndian(data[OffCrc..]);
        return new BlobInfo(version, headerLength, flags, BinaryPrimitives.ReadUInt64LittleEndian(data[OffSequence..]),
            (int)bodyLength, (int)rawLength, crc);
    }

    /// <summary>
    /// The sequence of the blob at the start of <paramref name="data"/> when its header and CRC32C are intact, else
    /// null: all a store needs to number the next blob, without decompressing or decoding the body.
    /// </summary>
    public static ulong? IntactSequence(ReadOnlySpan<byte> data)
    {
        try
        {
            var info = ReadHeader(data);
            return ComputeCrc(data[..info.HeaderLength], data.Slice(info.HeaderLength, info.BodyLength)) == info.Crc ? info.Sequence : null;
        }
        catch (HandoffFormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Checks a blob completely (header, CRC32C, signature when <paramref name="key"/> is given: then an unsigned
    /// blob is rejected too) and returns its decompressed body. With <paramref name="exact"/>, bytes after the blob
    /// are an error (a file); without, they are ignored (the rest of a store slot).
    /// </summary>
    public static (BlobInfo Info, byte[] Body) ReadBody(ReadOnlySpan<byte> data, HandoffKey? key = null, bool exact = true)
    {
        var info = ReadHeader(data);
        if (exact && data.Length != info.TotalLength)
            throw new HandoffFormatException(info.TotalLength, $"{data.Length - info.TotalLength} bytes after the end of the blob");
        var header = data[..info.HeaderLength];
        var body = data.Slice(info.HeaderLength, info.BodyLength);
        uint computed = ComputeCrc(header, body);
        if (computed != info.Crc)
            throw new HandoffFormatException(OffCrc, $"CRC32C mismatch: stored 0x{info.Crc:x8}, computed 0x{computed:x8}: the blob is damaged");
        if (key is not null)
        {
            if (!info.Signed) throw new HandoffFormatException(OffFlags, $"the blob is not signed, but a key is required ({key.Source})");
            Span<byte> zeroed = stackalloc byte[FixedHeaderLength + MacLength];
            header.CopyTo(zeroed);
            zeroed.Slice(OffCrc, 4).Clear();
            zeroed.Slice(OffMac, MacLength).Clear();
            Span<byte> mac = stackalloc byte[MacLength];
            key.Compute(zeroed, body, mac);
            if (!System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(mac, header.Slice(OffMac, MacLength)))
                throw new HandoffFormatException(OffMac, $"HMAC-SHA256 signature does not match the key {key.Source}");
        }
        return (info, Decompress(info, body));
    }

    /// <summary><see cref="ReadBody"/>, then the body decoded into a snapshot.</summary>
    public static DecodedBlob Read(ReadOnlySpan<byte> data, HandoffKey? key = null, bool exact = true)
    {
        var (info, body) = ReadBody(data, key, exact);
        try
        {
            // Offsets of an uncompressed body are blob offsets; of a compressed one, offsets in the decompressed body.
            bool compressed = info.Compression != "none";
            var snapshot = SnapshotBody.Decode(body, compressed ? 0 : info.HeaderLength);
            return new DecodedBlob(info, snapshot, key is not null);
        }
        catch (BodyFormatException e)
        {
            string where = info.Compression != "none" ? $"decompressed body offset {e.Offset}" : $"body";
            throw new HandoffFormatException(info.Compression != "none" ? -1 : e.Offset,
                info.Compression != "none" ? $"bad body: {e.Reason} ({where})" : $"bad {where}: {e.Reason}", e);
        }
    }

    private static byte[] Decompress(BlobInfo info, ReadOnlySpan<byte> body)
    {
        if (info.Compression == "none") return body.ToArray();
        // The CRC has passed, so this is what the writer made; still, never trust the length beyond the bound.
        var raw = new byte[info.RawBodyLength];
        bool ok;
        int written;
        if ((info.Flags & BlobFlags.Brotli) != 0)
        {
            ok = BrotliDecoder.TryDecompress(body, raw, out written);
        }
        else
        {
            written = 0;
            ok = true;
            try
            {
                using var z = new DeflateStream(new MemoryStream(body.ToArray(), writable: false), CompressionMode.Decompress);
                while (written < raw.Length)
                {
                    int n = z.Read(raw, written, raw.Length - written);
                    if (n == 0) break;
                    written += n;
                }
                if (z.ReadByte() >= 0) ok = false;
            }
            catch (InvalidDataException) { ok = false; }
        }
        if (!ok || written != raw.Length)
            throw new HandoffFormatException(info.HeaderLength, $"the {info.Compression} body does not decompress to the {info.RawBodyLength} bytes the header states");
        return raw;
    }
}
