using System.Security.Cryptography;

namespace Preconfig.Tests.Handoff;

public class HmacSha256Tests
{
    [Theory] // RFC 4231 test cases 1, 2 and 6 (a key longer than a block).
    [InlineData("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")]
    [InlineData("4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")]
    [InlineData("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")]
    public void Matches_rfc_4231(string key, string data, string mac)
    {
        var d = Convert.FromHexString(data);
        var result = new byte[32];
        new HmacSha256(Convert.FromHexString(key)).Compute(d.AsSpan(0, d.Length / 2), d.AsSpan(d.Length / 2), result);
        Assert.Equal(mac, Convert.ToHexStringLower(result));
    }

    [Fact]
    public void Matches_the_bcl_at_every_length_around_block_edges()
    {
        var rng = new Random(4);
        var key = new byte[100]; // longer than a block: hashed first
        rng.NextBytes(key);
        for (int n = 0; n < 300; n++)
        {
            var data = new byte[n];
            rng.NextBytes(data);
            var ours = new byte[32];
            new HmacSha256(key).Compute(data.AsSpan(0, n / 3), data.AsSpan(n / 3), ours);
            Assert.Equal(HMACSHA256.HashData(key, data), ours);
        }
    }
}
