using Preconfig.Preinit;
using Preconfig.Preinit.Apply;

namespace Preconfig.Tests.Preinit;

/// <summary>The kernel-log line of the error status read before clearing is put together in one buffer: it must read
/// as joining each register's own text did.</summary>
public class ClearingLineTests
{
    [Fact]
    public void ReadsAsTheRegistersJoined()
    {
        var address = new PciAddress(0x10000, 0xe1, 0x1f, 7);
        IReadOnlyList<ClearedRegister> found =
        [
            new("STATUS", 0x06, 2, 0x4010),
            new("CAP_EXP+a.w", 0x4a, 2, 0x4),
            new("ECAP_AER+4.l", 0x104, 4, 0x00100000),
            new("3c.b", 0x3c, 1, 0xa),
            new("ECAP_AER+30.l", 0x130, 4, 0xffffffff),
        ];
        Assert.Equal($"{address} error status before clearing: {string.Join(' ', found)}", PreinitRunner.ClearingLine(address, found));
        Assert.Equal("10000:e1:1f.7 error status before clearing: STATUS=0x4010 CAP_EXP+a.w=0x0004 ECAP_AER+4.l=0x00100000 3c.b=0x0a ECAP_AER+30.l=0xffffffff",
            PreinitRunner.ClearingLine(address, found));
    }
}
