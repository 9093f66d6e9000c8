using System.Text.Json;

namespace Preconfig.ConfigSpace.Simulation;

// The machine file's shape. Config is a hex string of the current bytes; masks are derived, never stored.
// Read and written by hand (MachineJson below), the one reader and writer of the format: the serializer's type
// information and converters are most of what System.Text.Json adds to the initramfs edition, which reads machines
// for sim: inputs. What the file looks like is held by golden files (tests/Preconfig.Tests/Golden/machine-*.json).

internal sealed class MachineFile
{
    public string Format { get; set; } = "";
    public int Version { get; set; }
    public string? Description { get; set; }
    public List<FunctionEntry> Functions { get; set; } = [];
}

internal sealed class FunctionEntry
{
    public string Address { get; set; } = "";
    public string? Config { get; set; }
    public List<BarEntry>? Bars { get; set; }
    public string? Driver { get; set; }
    public List<string>? ResetMethods { get; set; }
    public Dictionary<string, ResetBehavior>? ResetBehaviors { get; set; }
    public bool? BootVga { get; set; }
    public FaultsEntry? Faults { get; set; }
}

internal sealed class BarEntry
{
    public int Index { get; set; }
    public BarKind Kind { get; set; }
    public ulong Size { get; set; }
    public bool Prefetchable { get; set; }
}

internal sealed class FaultsEntry
{
    public List<int>? StuckDwords { get; set; }
    public int RetriesNeeded { get; set; }
    public bool Vanished { get; set; }
    public int VanishAfterWrites { get; set; } = -1;
    public bool IoError { get; set; }

    public SimulatedFaults ToFaults() => new()
    {
        StuckDwords = [.. StuckDwords ?? []],
        RetriesNeeded = RetriesNeeded,
        Vanished = Vanished,
        VanishAfterWrites = VanishAfterWrites,
        IoError = IoError,
    };

    public static FaultsEntry From(SimulatedFaults f) => new()
    {
        StuckDwords = f.StuckDwords.Count > 0 ? Sorted(f.StuckDwords) : null,
        RetriesNeeded = f.RetriesNeeded,
        Vanished = f.Vanished,
        VanishAfterWrites = f.VanishAfterWrites,
        IoError = f.IoError,
    };

    private static List<int> Sorted(HashSet<int> set)
    {
        var list = new List<int>(set);
        list.Sort();
        return list;
    }
}

/// <summary>
/// The machine file read and written over Utf8JsonReader/Utf8JsonWriter, as System.Text.Json's serializer would
/// with camelCase names and string enums: names exact (camelCase), unknown names skipped, comments and trailing
/// commas not allowed, enums by name (any case) or number, indented output with nulls left out.
/// </summary>
internal static class MachineJson
{
    /// <summary>The file, or null when it is JSON null. Throws <see cref="JsonException"/> for what is not JSON or a
    /// value of the wrong kind (with the line), as the serializer did.</summary>
    public static MachineFile? Read(ReadOnlySpan<byte> json)
    {
        var r = new Utf8JsonReader(json);
        if (!r.Read()) throw new JsonException("the file holds no JSON value", null, 0, 0);
        if (r.TokenType == JsonTokenType.Null) return null;
        var file = new MachineFile();
        Object(json, ref r, (ReadOnlySpan<byte> json, ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "format": file.Format = String(json, ref r)!; return true;
                case "version": file.Version = Int(json, ref r); return true;
                case "description": file.Description = String(json, ref r); return true;
                case "functions": file.Functions = List(json, ref r, Function)!; return true;
                default: return false;
            }
        });
        if (r.Read()) throw Wrong(json, ref r, "more after the machine object");
        return file;
    }

    private static FunctionEntry Function(ReadOnlySpan<byte> json, ref Utf8JsonReader r)
    {
        var f = new FunctionEntry();
        Object(json, ref r, (ReadOnlySpan<byte> json, ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "address": f.Address = String(json, ref r)!; return true;
                case "config": f.Config = String(json, ref r); return true;
                case "bars": f.Bars = List(json, ref r, Bar); return true;
                case "driver": f.Driver = String(json, ref r); return true;
                case "resetMethods": f.ResetMethods = List(json, ref r, (ReadOnlySpan<byte> json, ref Utf8JsonReader r) => String(json, ref r)!); return true;
                case "resetBehaviors": f.ResetBehaviors = Behaviors(json, ref r); return true;
                case "bootVga": f.BootVga = r.TokenType == JsonTokenType.Null ? null : Bool(json, ref r); return true;
                case "faults": f.Faults = r.TokenType == JsonTokenType.Null ? null : Faults(json, ref r); return true;
                default: return false;
            }
        });
        return f;
    }

    private static BarEntry Bar(ReadOnlySpan<byte> json, ref Utf8JsonReader r)
    {
        var b = new BarEntry();
        Object(json, ref r, (ReadOnlySpan<byte> json, ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "index": b.Index = Int(json, ref r); return true;
                case "kind": b.Kind = Enum<BarKind>(json, ref r); return true;
                case "size":
                    if (r.TokenType != JsonTokenType.Number || !r.TryGetUInt64(out ulong size)) throw Wrong(json, ref r, "\"size\" is a whole number");
                    b.Size = size;
                    return true;
                case "prefetchable": b.Prefetchable = Bool(json, ref r); return true;
                default: return false;
            }
        });
        return b;
    }

    private static FaultsEntry Faults(ReadOnlySpan<byte> json, ref Utf8JsonReader r)
    {
        var f = new FaultsEntry();
        Object(json, ref r, (ReadOnlySpan<byte> json, ref Utf8JsonReader r, string name) =>
        {
            switch (name)
            {
                case "stuckDwords": f.StuckDwords = List(json, ref r, Int); return true;
                case "retriesNeeded": f.RetriesNeeded = Int(json, ref r); return true;
                case "vanished": f.Vanished = Bool(json, ref r); return true;
                case "vanishAfterWrites": f.VanishAfterWrites = Int(json, ref r); return true;
                case "ioError": f.IoError = Bool(json, ref r); return true;
                default: return false;
            }
        });
        return f;
    }

    private static Dictionary<string, ResetBehavior>? Behaviors(ReadOnlySpan<byte> json, ref Utf8JsonReader r)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        var map = new Dictionary<string, ResetBehavior>();
        Object(json, ref r, (ReadOnlySpan<byte> json, ref Utf8JsonReader r, string name) =>
        {
            map[name] = Enum<ResetBehavior>(json, ref r);
            return true;
        });
        return map;
    }

    private delegate bool Member(ReadOnlySpan<byte> json, ref Utf8JsonReader r, string name);

    private delegate T Element<T>(ReadOnlySpan<byte> json, ref Utf8JsonReader r);

    /// <summary>An object's members, each handed to <paramref name="member"/> on its value; a member it does not
    /// know (false) is skipped whole. The reader is left on the object's end.</summary>
    private static void Object(ReadOnlySpan<byte> json, ref Utf8JsonReader r, Member member)
    {
        if (r.TokenType != JsonTokenType.StartObject) throw Wrong(json, ref r, "expected an object");
        while (r.Read() && r.TokenType == JsonTokenType.PropertyName)
        {
            string name = r.GetString()!;
            r.Read();
            if (!member(json, ref r, name)) r.Skip();
        }
    }

    private static List<T>? List<T>(ReadOnlySpan<byte> json, ref Utf8JsonReader r, Element<T> element)
    {
        if (r.TokenType == JsonTokenType.Null) return null;
        if (r.TokenType != JsonTokenType.StartArray) throw Wrong(json, ref r, "expected a list");
        var list = new List<T>();
        while (r.Read() && r.TokenType != JsonTokenType.EndArray) list.Add(element(json, ref r));
        return list;
    }

    private static string? String(ReadOnlySpan<byte> json, ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => r.GetString(),
        _ => throw Wrong(json, ref r, "expected a string"),
    };

    private static int Int(ReadOnlySpan<byte> json, ref Utf8JsonReader r) =>
        r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int value) ? value : throw Wrong(json, ref r, "expected a whole number");

    private static bool Bool(ReadOnlySpan<byte> json, ref Utf8JsonReader r) => r.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Wrong(json, ref r, "expected true or false"),
    };

    /// <summary>An enum by name, in any case, or by number (JsonStringEnumConverter's defaults).</summary>
    private static T Enum<T>(ReadOnlySpan<byte> json, ref Utf8JsonReader r) where T : struct, Enum
    {
        if (r.TokenType == JsonTokenType.Number && r.TryGetInt32(out int number)) return (T)(object)number;
        if (r.TokenType == JsonTokenType.String && r.GetString() is { } text && !IsNumber(text)
            && System.Enum.TryParse(text, ignoreCase: true, out T value))
            return value;
        throw Wrong(json, ref r, $"expected a {typeof(T).Name} name");
    }

    private static bool IsNumber(string text) => text.Length > 0 && (char.IsAsciiDigit(text[0]) || text[0] is '-' or '+');

    private static JsonException Wrong(ReadOnlySpan<byte> json, ref Utf8JsonReader r, string what)
    {
        long line = json[..(int)r.TokenStartIndex].Count((byte)'\n');
        return new JsonException($"{what} (line {line + 1})", null, line, null);
    }

    public static void Write(Stream stream, MachineFile file)
    {
        using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        w.WriteStartObject();
        w.WriteString("format", file.Format);
        w.WriteNumber("version", file.Version);
        if (file.Description is { } description) w.WriteString("description", description);
        w.WriteStartArray("functions");
        foreach (var f in file.Functions) WriteFunction(w, f);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void WriteFunction(Utf8JsonWriter w, FunctionEntry f)
    {
        w.WriteStartObject();
        w.WriteString("address", f.Address);
        if (f.Config is { } config) w.WriteString("config", config);
        if (f.Bars is { } bars)
        {
            w.WriteStartArray("bars");
            foreach (var b in bars)
            {
                w.WriteStartObject();
                w.WriteNumber("index", b.Index);
                w.WriteString("kind", b.Kind.ToString());
                w.WriteNumber("size", b.Size);
                w.WriteBoolean("prefetchable", b.Prefetchable);
                w.WriteEndObject();
            }
            w.WriteEndArray();
        }
        if (f.Driver is { } driver) w.WriteString("driver", driver);
        if (f.ResetMethods is { } methods)
        {
            w.WriteStartArray("resetMethods");
            foreach (string m in methods) w.WriteStringValue(m);
            w.WriteEndArray();
        }
        if (f.ResetBehaviors is { } behaviors)
        {
            w.WriteStartObject("resetBehaviors");
            foreach (var (method, behavior) in behaviors) w.WriteString(method, behavior.ToString());
            w.WriteEndObject();
        }
        if (f.BootVga is { } bootVga) w.WriteBoolean("bootVga", bootVga);
        if (f.Faults is { } faults)
        {
            w.WriteStartObject("faults");
            if (faults.StuckDwords is { } stuck)
            {
                w.WriteStartArray("stuckDwords");
                foreach (int dword in stuck) w.WriteNumberValue(dword);
                w.WriteEndArray();
            }
            w.WriteNumber("retriesNeeded", faults.RetriesNeeded);
            w.WriteBoolean("vanished", faults.Vanished);
            w.WriteNumber("vanishAfterWrites", faults.VanishAfterWrites);
            w.WriteBoolean("ioError", faults.IoError);
            w.WriteEndObject();
        }
        w.WriteEndObject();
    }
}
