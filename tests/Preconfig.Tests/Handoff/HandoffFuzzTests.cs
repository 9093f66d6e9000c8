namespace Preconfig.Tests.Handoff;

/// <summary>
/// 100,000 seeded random mutations of valid blobs. Half are mutations of the framed blob (caught by the header
/// checks or the CRC); half mutate the body and re-frame it with a correct CRC, so the MessagePack reader and the
/// body decoder see hostile input. Every outcome is a decoded snapshot or a HandoffFormatException; any other
/// exception fails. Memory bound: no single decode may allocate more than 1 MiB (the valid 8-device blob needs
/// about 40 KB); the loop ends, so nothing hangs.
/// </summary>
public class HandoffFuzzTests
{
    public const long MaxBytesPerDecode = 1 << 20;

    [Fact]
    public void Hundred_thousand_random_mutations_never_crash_hang_or_balloon()
    {
        var snapshot = HandoffTestData.Sample(8, seed: 77);
        var framed = HandoffBlob.Write(snapshot);
        var body = SnapshotBody.Encode(snapshot);
        var rng = new Random(20261121);
        long worst = 0;
        int accepted = 0, rejected = 0;
        var buffer = new byte[body.Length + 64];

        for (int i = 0; i < 100_000; i++)
        {
            bool reframe = (i & 1) == 1;
            var source = reframe ? body : framed;
            int length = Mutate(rng, source, buffer);
            var input = buffer.AsSpan(0, length);
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (reframe)
                {
                    var blob = HandoffBlob.Frame(input, new BlobWriteOptions { Compression = BlobCompression.None });
                    before = GC.GetAllocatedBytesForCurrentThread();
                    HandoffBlob.Read(blob);
                }
                else HandoffBlob.Read(input);
                accepted++;
            }
            catch (HandoffFormatException e)
            {
                Assert.False(string.IsNullOrWhiteSpace(e.Reason));
                rejected++;
            }
            worst = Math.Max(worst, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        Assert.True(worst <= MaxBytesPerDecode, $"a decode allocated {worst} bytes");
        Assert.True(rejected > 50_000, $"only {rejected} rejected");
        Assert.True(accepted > 0, "no mutation survived (the body path was never reached)");
    }

    private static int Mutate(Random rng, byte[] source, byte[] buffer)
    {
        int length = source.Length;
        source.CopyTo(buffer, 0);
        switch (rng.Next(5))
        {
            case 0: // flip bits
                for (int k = rng.Next(1, 4); k > 0; k--) buffer[rng.Next(length)] ^= (byte)(1 << rng.Next(8));
                break;
            case 1: // random bytes
                for (int k = rng.Next(1, 4); k > 0; k--) buffer[rng.Next(length)] = (byte)rng.Next(256);
                break;
            case 2: // truncate
                length = rng.Next(length);
                break;
            case 3: // interesting values at a random spot (lengths, counts)
                int at = rng.Next(length);
                byte[] magic = [0xff, 0x00, 0x7f, 0x80, 0xc1, 0xdd, 0xdf, 0xc6, 0xdb];
                buffer[at] = magic[rng.Next(magic.Length)];
                if (at + 1 < length && rng.Next(2) == 0) buffer[at + 1] = 0xff;
                break;
            default: // splice a chunk from elsewhere
                int from = rng.Next(length), to = rng.Next(length), n = rng.Next(1, 32);
                n = Math.Min(n, Math.Min(length - from, length - to));
                Array.Copy(source, from, buffer, to, n);
                break;
        }
        return length;
    }
}
