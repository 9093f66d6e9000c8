using System.Text;

namespace Preconfig.ConfigSpace.Lspci;

/// <summary>
/// Writes functions as <c>lspci -x</c>-style text that <c>lspci -F</c> reads back byte for byte: an address line
/// with a short description (lspci rejects lines over about 254 characters), 16 bytes a row, a blank line after.
/// </summary>
public static class LspciDumpWriter
{
    public static void Write(TextWriter writer, PciAddress address, ReadOnlySpan<byte> config, string? description = null)
    {
        var sb = new StringBuilder(64 + config.Length * 3 + config.Length / 16 * 5);
        sb.Append(address.ToString()).Append(' ');
        if (description is not null)
            sb.Append(description.Length > 200 ? description[..200] : description);
        else
            sb.Append($"Class {ConfigBytes.ClassCode(config) >> 8:x4}: Device {ConfigBytes.VendorId(config):x4}:{ConfigBytes.DeviceId(config):x4}");
        sb.Append('\n');
        for (int row = 0; row < config.Length; row += 16)
        {
            sb.Append(row.ToString(row < 0x100 ? "x2" : "x3")).Append(':');
            int end = Math.Min(row + 16, config.Length);
            for (int i = row; i < end; i++)
                sb.Append(' ').Append(HexDigits[config[i] >> 4]).Append(HexDigits[config[i] & 0xf]);
            sb.Append('\n');
        }
        sb.Append('\n');
        writer.Write(sb);
    }

    private const string HexDigits = "0123456789abcdef";
}
