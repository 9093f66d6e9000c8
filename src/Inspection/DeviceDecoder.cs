namespace Preconfig.Inspection;

/// <summary>One field's value on one function: where it was read and its masked, shifted bits.</summary>
public readonly record struct DecodedField(FieldDef Field, int Offset, uint Value)
{
    public string Name => Field.Name;
    public string Display => Field.Display(Value);
}

/// <summary>Decodes a function's bytes through <see cref="FieldTable"/>: every field that exists on it, in table order.</summary>
public static class DeviceDecoder
{
    public static List<DecodedField> Decode(DecodeContext context)
    {
        var fields = new List<DecodedField>(160);
        foreach (var register in FieldTable.Registers)
        {
            int at = context.Locate(register);
            if (at < 0) continue;
            uint raw = context.Read(at, register.Width);
            foreach (var f in register.Fields)
                fields.Add(new DecodedField(f, at, f.Extract(raw)));
        }
        return fields;
    }

    public static List<DecodedField> Decode(byte[] config) => Decode(new DecodeContext(config));

    /// <summary>Sets, for each byte the field spans, the bits it names (so diff can tell which changed bits no field explains).</summary>
    public static void MarkNamedBits(DecodedField field, Span<byte> namedBits)
    {
        uint mask = field.Field.Mask;
        for (int i = 0; i < field.Field.Register.Width; i++)
        {
            int at = field.Offset + i;
            if ((uint)at < (uint)namedBits.Length) namedBits[at] |= (byte)(mask >> (8 * i));
        }
    }
}
