namespace Preconfig.Tests.Handoff;

public class HandoffBlobTests
{
    private static readonly HandoffKey KeyA = new(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray(), "a.key");
    private static readonly HandoffKey KeyB = new(Enumerable.Range(1, 32).Select(i => (byte)i).ToArray(), "b.key");

    [Theory]
    [InlineData(BlobCompression.Auto, "brotli")]
    [InlineData(BlobCompression.None, "none")]
    [InlineData(BlobCompression.Deflate, "deflate")]
    [InlineData(BlobCompression.Brotli, "brotli")]
    public void Round_trips_with_each_compression(BlobCompression compression, string flagged)
    {
        var s = HandoffTestData.Sample(32);
        var blob = HandoffBlob.Write(s, new BlobWriteOptions { Sequence = 42, Compression = compression });
        var read = HandoffBlob.Read(blob);
        Assert.Equal(42ul, read.Info.Sequence);
        Assert.Equal(flagged, read.Info.Compression);
        Assert.False(read.Info.Signed);
        HandoffTestData.AssertSame(s, read.Snapshot);
    }

    [Fact]
    public void A_body_larger_than_its_first_buffer_round_trips()
    {
        // Dense 4 KiB configs (no zero dword to leave out) outgrow the 512 bytes a function the body buffer starts with.
        var random = new Random(15);
        var s = new Snapshot
        {
            CapturedAt = DateTimeOffset.FromUnixTimeMilliseconds(1_763_700_000_123),
            HostName = "dense", KernelRelease = "6.12.38+deb13-amd64", BootId = "b", ToolVersion = "0.1.0", Sources = ["test"],
            Devices = Enumerable.Range(0, 8).Select(i =>
            {
                var config = new byte[4096];
                random.NextBytes(config);
                return new DeviceRecord { Address = new PciAddress(0, 1, (byte)i, 0), Config = config };
            }).ToList(),
        };
        var read = HandoffBlob.Read(HandoffBlob.Write(s, new BlobWriteOptions { Compression = BlobCompression.None }));
        Assert.True(read.Info.BodyLength > 4096 + 8 * 512);
        HandoffTestData.AssertSame(s, read.Snapshot);
    }

    [Fact]
    public void Auto_stores_uncompressed_when_compression_does_not_pay()
    {
        var noise = new byte[4096];
        new Random(1).NextBytes(noise);
        var blob = HandoffBlob.Frame(noise, new BlobWriteOptions());
        Assert.Equal("none", HandoffBlob.ReadHeader(blob).Compression);
        Assert.Equal(HandoffBlob.FixedHeaderLength + noise.Length, blob.Length);
    }

    [Fact]
    public void Header_layout_is_as_documented()
    {
        var blob = HandoffBlob.Write(HandoffTestData.Sample(4), new BlobWriteOptions { Sequence = 0x0102030405060708, Key = KeyA });
        Assert.Equal("PCFG\r\n\x1a\n"u8.ToArray(), blob[..8]);
        Assert.Equal(1, BitConverter.ToUInt16(blob, 8));
        Assert.Equal(80, BitConverter.ToUInt16(blob, 10));
        Assert.Equal((uint)(BlobFlags.Brotli | BlobFlags.Signed), BitConverter.ToUInt32(blob, 12));
        Assert.Equal(0x0102030405060708ul, BitConverter.ToUInt64(blob, 16));
        Assert.Equal(blob.Length - 80, (int)BitConverter.ToUInt32(blob, 24));
        // CRC32C over header (CRC field zero) and body, standard parameters: check value of "123456789" is 0xe3069283.
        Assert.Equal(0xe3069283u, Crc32C.Compute("123456789"u8));
        var copy = (byte[])blob.Clone();
        copy.AsSpan(32, 4).Clear();
        Assert.Equal(Crc32C.Compute(copy), BitConverter.ToUInt32(blob, 32));
    }

    [Fact]
    public void Every_single_bit_flip_of_a_32_device_blob_is_rejected()
    {
        var blob = HandoffBlob.Write(HandoffTestData.Sample(32));
        var copy = (byte[])blob.Clone();
        for (int i = 0; i < blob.Length; i++)
        {
            for (int bit = 0; bit < 8; bit++)
            {
                copy[i] ^= (byte)(1 << bit);
                var e = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(copy));
                Assert.False(string.IsNullOrWhiteSpace(e.Reason));
                Assert.InRange(e.Offset, -1, blob.Length);
                copy[i] = blob[i];
            }
        }
    }

    [Fact]
    public void Every_truncation_is_rejected_naming_the_offset()
    {
        var blob = HandoffBlob.Write(HandoffTestData.Sample(32), new BlobWriteOptions { Key = KeyA });
        for (int length = 0; length < blob.Length; length++)
        {
            var e = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(blob.AsSpan(0, length), KeyA));
            Assert.Contains(length < 8 ? "magic" : "truncated", e.Message);
            Assert.Equal(length, e.Offset);
        }
    }

    [Fact]
    public void Trailing_bytes_are_an_error_in_a_file_and_ignored_in_a_slot()
    {
        var blob = HandoffBlob.Write(HandoffTestData.Sample(3));
        var longer = blob.Concat(new byte[100]).ToArray();
        var e = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(longer));
        Assert.Equal(blob.Length, e.Offset);
        Assert.Equal(3, HandoffBlob.Read(longer, exact: false).Snapshot.Devices.Count);
    }

    [Fact]
    public void Signed_with_key_A_verifies_with_A_only()
    {
        var s = HandoffTestData.Sample(8);
        var signed = HandoffBlob.Write(s, new BlobWriteOptions { Key = KeyA });
        var ok = HandoffBlob.Read(signed, KeyA);
        Assert.True(ok.SignatureChecked);
        Assert.True(ok.Info.Signed);

        var wrongKey = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(signed, KeyB));
        Assert.Contains("does not match the key b.key", wrongKey.Message);
        Assert.Equal(48, wrongKey.Offset);

        var unsigned = HandoffBlob.Write(s);
        var required = Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(unsigned, KeyA));
        Assert.Contains("not signed, but a key is required", required.Message);

        // Without a key the integrity still holds; the signature is just not checked.
        Assert.False(HandoffBlob.Read(signed).SignatureChecked);
    }

    [Fact]
    public void A_forged_body_with_a_recomputed_crc_fails_the_signature()
    {
        var signed = HandoffBlob.Write(HandoffTestData.Sample(8), new BlobWriteOptions { Key = KeyA, Compression = BlobCompression.None });
        signed[^1] ^= 1;
        signed.AsSpan(32, 4).Clear();
        var crc = Crc32C.Compute(signed);
        BitConverter.TryWriteBytes(signed.AsSpan(32), crc);
        Assert.Throws<HandoffFormatException>(() => HandoffBlob.Read(signed, KeyA));
    }

    [Fact]
    public void Short_keys_are_refused()
    {
        Assert.Throws<InvalidDataException>(() => new HandoffKey(new byte[8], "short.key"));
    }
}
