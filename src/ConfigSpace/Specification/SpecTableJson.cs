using System.Text.Encodings.Web;
using System.Text.Json;

namespace Preconfig.ConfigSpace.Specification;

/// <summary>
/// The table as JSON, for tools that compare it with real or emulated devices (the QEMU probe of tests/e2e):
/// the table itself (every structure, register and field with its attribute, conditions and citation), or the
/// attributes resolved for given functions (per register: masks and one attribute per bit).
/// </summary>
public static class SpecTableJson
{
    public const string TableFormat = "preconfig-spec-table", MasksFormat = "preconfig-spec-masks";
    public const int Version = 1;

    private static readonly JsonWriterOptions Options = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Hex(uint v) => $"0x{v:x}";

    /// <summary>Writes the whole table.</summary>
    public static void WriteTable(Stream output)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteString("format", TableFormat);
        w.WriteNumber("version", Version);
        WriteLegend(w);
        w.WriteString("notModelled", SpecTable.NotModelled);
        w.WriteStartArray("structures");
        foreach (var s in SpecTable.Structures)
        {
            w.WriteStartObject();
            w.WriteString("key", s.Key.ToString());
            w.WriteString("name", s.Name);
            w.WriteString("citation", s.Citation);
            if (s.Note is not null) w.WriteString("note", s.Note);
            w.WriteStartArray("registers");
            foreach (var r in s.Registers)
            {
                w.WriteStartObject();
                w.WriteString("offset", Hex((uint)r.Offset));
                w.WriteNumber("width", r.Width);
                w.WriteString("name", r.Name);
                w.WriteString("citation", r.Citation);
                if (r.Present is not null) w.WriteString("presentWhen", r.Present.Text);
                if (r.ReservedWhen is not null) w.WriteString("reservedWhen", r.ReservedWhen.Text);
                if (r.Implemented is not null) w.WriteString("implementedBits", $"{r.Implemented.Text} (others {r.Implemented.Outside})");
                w.WriteStartArray("fields");
                foreach (var f in r.Fields)
                {
                    w.WriteStartObject();
                    w.WriteString("bits", f.Width == 1 ? $"{f.Low}" : $"{f.Low + f.Width - 1}:{f.Low}");
                    w.WriteString("name", f.Name);
                    w.WriteString("attribute", f.Attribute.ToString());
                    if (f.Cases.Count > 0)
                    {
                        w.WriteStartArray("cases");
                        foreach (var c in f.Cases)
                        {
                            w.WriteStartObject();
                            w.WriteString("when", c.When?.Text ?? "always");
                            w.WriteString("attribute", c.Attribute.ToString());
                            w.WriteEndObject();
                        }
                        w.WriteEndArray();
                    }
                    if (f.Default != 0) w.WriteString("default", Hex(f.Default));
                    if (f.Optional) w.WriteBoolean("optional", true);
                    if (f.Resource) w.WriteBoolean("resource", true);
                    if (f.ResetTrigger) w.WriteBoolean("resetTrigger", true);
                    if (f.Legal is not null) w.WriteString("legal", f.Legal.Text + (f.DiscardsIllegal ? " (other values are discarded by the hardware)" : ""));
                    if (f.Note is not null) w.WriteString("note", f.Note);
                    w.WriteString("citation", f.Citation);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Writes the attributes resolved for each function (address, config bytes, its own attributes).</summary>
    public static void WriteMasks(Stream output, string source, IEnumerable<(PciAddress Address, FunctionAttributes Attributes)> functions)
    {
        using var w = new Utf8JsonWriter(output, Options);
        w.WriteStartObject();
        w.WriteString("format", MasksFormat);
        w.WriteNumber("version", Version);
        w.WriteString("source", source);
        WriteLegend(w);
        w.WriteStartArray("functions");
        foreach (var (address, a) in functions)
        {
            w.WriteStartObject();
            w.WriteString("address", address.ToString());
            w.WriteStartArray("structures");
            foreach (var s in a.Structures)
            {
                w.WriteStartObject();
                w.WriteString("key", s.Key.ToString());
                w.WriteString("offset", Hex((uint)s.Offset));
                w.WriteString("name", s.Name);
                w.WriteBoolean("modelled", s.Spec is not null);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteStartArray("registers");
            foreach (var r in a.Registers)
            {
                w.WriteStartObject();
                w.WriteString("structure", r.Structure.Key.ToString());
                w.WriteString("structureOffset", Hex((uint)r.StructureOffset));
                w.WriteString("offset", Hex((uint)r.Spec.Offset));
                w.WriteString("at", Hex((uint)r.Offset));
                w.WriteNumber("width", r.Width);
                w.WriteString("name", r.Spec.Name);
                if (r.Width <= 4)
                {
                    w.WriteString("writable", Hex(r.Writable));
                    w.WriteString("rw1c", Hex(r.WriteOneToClear));
                    w.WriteString("sticky", Hex(r.Sticky));
                    w.WriteString("actions", Hex(r.Actions));
                    w.WriteString("resource", Hex(r.ResourceBits));
                    w.WriteString("optional", Hex(r.FieldBits(f => f.Optional) & r.Writable));
                }
                w.WriteStartArray("bits");
                foreach (var b in r.Bits) w.WriteStringValue(b.ToString());
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteLegend(Utf8JsonWriter w)
    {
        w.WriteStartObject("attributes");
        w.WriteString(nameof(BitAttribute.RsvdP), "reserved, preserve: reads 0, ignores writes");
        w.WriteString(nameof(BitAttribute.RsvdZ), "reserved, zero: reads 0, ignores writes");
        w.WriteString(nameof(BitAttribute.RO), "read-only (hardware may change it)");
        w.WriteString(nameof(BitAttribute.HwInit), "read-only, set by hardware or firmware");
        w.WriteString(nameof(BitAttribute.ROS), "read-only, sticky");
        w.WriteString(nameof(BitAttribute.RW), "read-write");
        w.WriteString(nameof(BitAttribute.RWS), "read-write, sticky");
        w.WriteString(nameof(BitAttribute.RW1C), "write 1 to clear");
        w.WriteString(nameof(BitAttribute.RW1CS), "write 1 to clear, sticky");
        w.WriteString(nameof(BitAttribute.Action), "writing 1 starts an action; always reads 0");
        w.WriteString("optional", "RW bits a function that does not implement the feature may hardwire to 0");
        w.WriteEndObject();
    }
}
