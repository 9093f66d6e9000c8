using System.Text.Json;
using Preconfig.ConfigSpace;

namespace Preconfig.Preinit.Policy;

/// <summary>
/// The policy file as written (every field optional), read by hand over <see cref="Utf8JsonReader"/>: the JSON
/// serializer's type information and converters cost more to set up than a preinit run spends on everything else
/// in its start, and the initramfs edition is smaller without them. Comments and trailing commas are allowed, names
/// are exact (camelCase), an unknown name is an error, a repeated name keeps its last value, <c>null</c> is the same
/// as absent. The fields are checked in <see cref="ToPolicy"/>, in the same order whatever their order in the file.
/// </summary>
internal sealed class PolicyFile
{
    /// <summary>"never", "if-supported", or a list of rules (checked in <see cref="ToPolicy"/>).</summary>
    public PolicyValue? Reset { get; set; }
    public List<string>? ResetMethods { get; set; }
    public string? BusMaster { get; set; }
    public string? Intx { get; set; }
    public List<string>? Allow { get; set; }
    public List<string>? Deny { get; set; }
    public List<string>? ResetOnly { get; set; }
    public List<string>? ResetDeny { get; set; }
    public List<string>? KernelOwned { get; set; }
    public List<string>? NotKernelOwned { get; set; }
    public bool? ResetVgaConsole { get; set; }
    public bool? MoveResources { get; set; }
    public bool? ClearErrorStatus { get; set; }
    public bool? QuiesceUnmatched { get; set; }
    public bool? RestorePowerState { get; set; }
    public bool? RestoreAcs { get; set; }
    public bool? RestoreAri { get; set; }
    public int? Retries { get; set; }

    private const string Names = "reset, resetMethods, busMaster, intx, allow, deny, resetOnly, resetDeny, resetVgaConsole, "
        + "moveResources, clearErrorStatus, quiesceUnmatched, restorePowerState, restoreAcs, restoreAri, retries, "
        + "kernelOwned, notKernelOwned";

    /// <summary>Reads the file's bytes. Throws <see cref="InvalidDataException"/> naming <paramref name="name"/> and the line.</summary>
    public static PolicyFile Read(ReadOnlySpan<byte> json, string name)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        try
        {
            if (!reader.Read()) throw new JsonException("the file holds no JSON value", null, 0, 0);
            if (reader.TokenType == JsonTokenType.Null) throw new InvalidDataException($"{name}:1: not a preinit policy (null)");
            if (reader.TokenType != JsonTokenType.StartObject) throw Wrong(json, ref reader, name, "the file is a JSON object ({ \"reset\": ... })");
            var file = new PolicyFile();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                string field = reader.GetString()!;
                reader.Read();
                bool isNull = reader.TokenType == JsonTokenType.Null;
                switch (field)
                {
                    case "reset": file.Reset = isNull ? null : PolicyValue.Read(ref reader); break;
                    case "resetMethods": file.ResetMethods = StringList(json, ref reader, name, field); break;
                    case "busMaster": file.BusMaster = String(json, ref reader, name, field); break;
                    case "intx": file.Intx = String(json, ref reader, name, field); break;
                    case "allow": file.Allow = StringList(json, ref reader, name, field); break;
                    case "deny": file.Deny = StringList(json, ref reader, name, field); break;
                    case "resetOnly": file.ResetOnly = StringList(json, ref reader, name, field); break;
                    case "resetDeny": file.ResetDeny = StringList(json, ref reader, name, field); break;
                    case "kernelOwned": file.KernelOwned = StringList(json, ref reader, name, field); break;
                    case "notKernelOwned": file.NotKernelOwned = StringList(json, ref reader, name, field); break;
                    case "resetVgaConsole": file.ResetVgaConsole = Bool(json, ref reader, name, field); break;
                    case "moveResources": file.MoveResources = Bool(json, ref reader, name, field); break;
                    case "clearErrorStatus": file.ClearErrorStatus = Bool(json, ref reader, name, field); break;
                    case "quiesceUnmatched": file.QuiesceUnmatched = Bool(json, ref reader, name, field); break;
                    case "restorePowerState": file.RestorePowerState = Bool(json, ref reader, name, field); break;
                    case "restoreAcs": file.RestoreAcs = Bool(json, ref reader, name, field); break;
                    case "restoreAri": file.RestoreAri = Bool(json, ref reader, name, field); break;
                    case "retries":
                        if (isNull) file.Retries = null;
                        else if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out int retries)) file.Retries = retries;
                        else throw Wrong(json, ref reader, name, "\"retries\" is a whole number");
                        break;
                    default: throw Wrong(json, ref reader, name, $"unknown key \"{field}\" (known: {Names})");
                }
            }
            // The object is closed (the reader checks the nesting); nothing but white space or comments may follow.
            if (reader.Read()) throw Wrong(json, ref reader, name, "more after the policy object");
            return file;
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{name}:{(e.LineNumber ?? 0) + 1}: not a preinit policy: {e.Message}", e);
        }
    }

    private static string? String(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, string name, string field) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.String => reader.GetString(),
        _ => throw Wrong(json, ref reader, name, $"\"{field}\" is a string"),
    };

    private static bool? Bool(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, string name, string field) => reader.TokenType switch
    {
        JsonTokenType.Null => null,
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Wrong(json, ref reader, name, $"\"{field}\" is true or false"),
    };

    private static List<string>? StringList(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, string name, string field)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw Wrong(json, ref reader, name, $"\"{field}\" is a list of strings");
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw Wrong(json, ref reader, name, $"\"{field}\"[{list.Count}] is a string");
            list.Add(reader.GetString()!);
        }
        return list;
    }

    /// <summary>A value of the wrong kind: the message names the file and the line of the value.</summary>
    private static InvalidDataException Wrong(ReadOnlySpan<byte> json, ref Utf8JsonReader reader, string name, string what)
    {
        int line = 1 + json[..(int)reader.TokenStartIndex].Count((byte)'\n');
        return new InvalidDataException($"{name}:{line}: not a preinit policy: {what}");
    }

    public ReplayPolicy ToPolicy(string path)
    {
        var d = ReplayPolicy.Default;
        var rules = new List<ResetRule>();
        var reset = d.Reset;
        if (Reset is { Kind: JsonValueKind.Array, Items: { } items })
        {
            for (int i = 0; i < items.Count; i++) rules.Add(ParseRule(path, $"\"reset\"[{i}]", items[i]));
        }
        else if (Reset is { } single && single.Kind != JsonValueKind.Null)
            reset = ParseDecision(path, "\"reset\"", single);
        return new ReplayPolicy
        {
            Reset = reset,
            ResetRules = rules,
            ResetMethods = ResetMethods is null ? d.ResetMethods : Methods(path, "\"resetMethods\"", ResetMethods),
            BusMaster = BusMaster switch
            {
                null => d.BusMaster,
                "off" => BusMasterPolicy.Off,
                "as-captured" => BusMasterPolicy.AsCaptured,
                _ => throw new InvalidDataException($"{path}: \"busMaster\" is \"off\" or \"as-captured\", not \"{BusMaster}\""),
            },
            Intx = Intx switch
            {
                null => d.Intx,
                "disabled" => IntxPolicy.Disabled,
                "as-captured" => IntxPolicy.AsCaptured,
                _ => throw new InvalidDataException($"{path}: \"intx\" is \"disabled\" or \"as-captured\", not \"{Intx}\""),
            },
            Allow = Selectors(path, "allow", Allow),
            Deny = Selectors(path, "deny", Deny),
            ResetOnly = Selectors(path, "resetOnly", ResetOnly),
            ResetDeny = Selectors(path, "resetDeny", ResetDeny),
            KernelOwned = Selectors(path, "kernelOwned", KernelOwned),
            NotKernelOwned = Selectors(path, "notKernelOwned", NotKernelOwned),
            ResetVgaConsole = ResetVgaConsole ?? d.ResetVgaConsole,
            MoveResources = MoveResources ?? d.MoveResources,
            ClearErrorStatus = ClearErrorStatus ?? d.ClearErrorStatus,
            QuiesceUnmatched = QuiesceUnmatched ?? d.QuiesceUnmatched,
            RestorePowerState = RestorePowerState ?? d.RestorePowerState,
            RestoreAcs = RestoreAcs ?? d.RestoreAcs,
            RestoreAri = RestoreAri ?? d.RestoreAri,
            Retries = Retries is { } r ? (r is >= 0 and <= 100 ? r : throw new InvalidDataException($"{path}: \"retries\" must be 0..100, not {r}")) : d.Retries,
        };
    }

    private static ResetPolicy ParseDecision(string path, string field, PolicyValue value) =>
        value.Kind == JsonValueKind.String ? value.Text switch
        {
            "never" => ResetPolicy.Never,
            "if-supported" => ResetPolicy.IfSupported,
            var other => throw new InvalidDataException($"{path}: {field} is \"never\" or \"if-supported\", not \"{other}\""),
        } : throw new InvalidDataException($"{path}: {field} is \"never\", \"if-supported\" or a list of rules, not {value.Kind}");

    private static List<string> Methods(string path, string field, List<string> methods)
    {
        foreach (string m in methods)
            if (!IsKnownMethod(m))
                throw new InvalidDataException($"{path}: {field}: unknown reset method \"{m}\" (known: {string.Join(", ", ReplayPolicy.KnownResetMethods)})");
        return methods;
    }

    private static bool IsKnownMethod(string method)
    {
        foreach (string known in ReplayPolicy.KnownResetMethods)
            if (known == method) return true;
        return false;
    }

    /// <summary>A rule: <c>{"match": {"class": "0x02"} | "class:02", "reset": "if-supported" | "never", "methods": [...]}</c>.</summary>
    private static ResetRule ParseRule(string path, string where, PolicyValue item)
    {
        if (item is not { Kind: JsonValueKind.Object, Properties: { } properties })
            throw new InvalidDataException($"{path}: {where} is not an object ({{\"match\": ..., \"reset\": ...}})");
        PolicyValue? match = null, decision = null;
        List<string>? methods = null;
        foreach (var (key, value) in properties)
        {
            switch (key)
            {
                case "match": match = value; break;
                case "reset": decision = value; break;
                case "methods":
                    if (value is not { Kind: JsonValueKind.Array, Items: { } names } || !AllStrings(names))
                        throw new InvalidDataException($"{path}: {where}.methods is a list of method names");
                    var list = new List<string>(names.Count);
                    foreach (var n in names) list.Add(n.Text!);
                    methods = Methods(path, $"{where}.methods", list);
                    break;
                default: throw new InvalidDataException($"{path}: {where}: unknown key \"{key}\" (match, reset, methods)");
            }
        }
        if (match is null) throw new InvalidDataException($"{path}: {where}: \"match\" is required");
        if (decision is null) throw new InvalidDataException($"{path}: {where}: \"reset\" is required");
        return new ResetRule(ParseMatch(path, $"{where}.match", match), ParseDecision(path, $"{where}.reset", decision), methods);
    }

    private static bool AllStrings(List<PolicyValue> values)
    {
        foreach (var v in values)
            if (v.Kind != JsonValueKind.String) return false;
        return true;
    }

    /// <summary>A selector string ("class:02", "8086:1533", "0000:03:00.0") or an object of class/device/address, all of which must hold.</summary>
    private static List<DeviceSelector> ParseMatch(string path, string where, PolicyValue match)
    {
        try
        {
            if (match.Kind == JsonValueKind.String) return [DeviceSelector.Parse(match.Text!)];
            if (match is not { Kind: JsonValueKind.Object, Properties: { } properties })
                throw new FormatException("a selector string or an object with class, device or address");
            var list = new List<DeviceSelector>();
            foreach (var (key, value) in properties)
            {
                if (value.Kind != JsonValueKind.String) throw new FormatException($"\"{key}\" is a string");
                string v = value.Text!;
                list.Add(key switch
                {
                    "class" => DeviceSelector.Parse("class:" + v),
                    "device" => DeviceSelector.Parse(v.Contains(':') ? v : throw new FormatException($"device '{v}' is vendor:device (8086:1533, 8086:*)")),
                    "address" => PciAddress.TryParse(v, out _) ? DeviceSelector.Parse(v) : throw new FormatException($"address '{v}' is not a PCI address"),
                    _ => throw new FormatException($"unknown key \"{key}\" (class, device, address)"),
                });
            }
            if (list.Count == 0) throw new FormatException("empty match");
            return list;
        }
        catch (FormatException e) { throw new InvalidDataException($"{path}: {where}: {e.Message}", e); }
    }

    private static List<DeviceSelector> Selectors(string path, string field, List<string>? texts)
    {
        var list = new List<DeviceSelector>();
        for (int i = 0; i < (texts?.Count ?? 0); i++)
        {
            try { list.Add(DeviceSelector.Parse(texts![i])); }
            catch (FormatException e) { throw new InvalidDataException($"{path}: \"{field}\"[{i}]: {e.Message}", e); }
        }
        return list;
    }
}

/// <summary>
/// A JSON value as read, for the policy's <c>"reset"</c> field, whose rules are checked after the whole file is read:
/// a string (<see cref="Text"/>), a list (<see cref="Items"/>), an object (<see cref="Properties"/>, in file order) or
/// any other kind (number, true, false, null), known by <see cref="Kind"/> alone.
/// </summary>
internal sealed class PolicyValue
{
    public JsonValueKind Kind { get; private init; }
    public string? Text { get; private init; }
    public List<PolicyValue>? Items { get; private init; }
    public List<(string Name, PolicyValue Value)>? Properties { get; private init; }

    /// <summary>The value at the reader's current token; leaves the reader on its last token.</summary>
    public static PolicyValue Read(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String: return new PolicyValue { Kind = JsonValueKind.String, Text = reader.GetString() };
            case JsonTokenType.StartArray:
                var items = new List<PolicyValue>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray) items.Add(Read(ref reader));
                return new PolicyValue { Kind = JsonValueKind.Array, Items = items };
            case JsonTokenType.StartObject:
                var properties = new List<(string, PolicyValue)>();
                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    string key = reader.GetString()!;
                    reader.Read();
                    properties.Add((key, Read(ref reader)));
                }
                return new PolicyValue { Kind = JsonValueKind.Object, Properties = properties };
            case JsonTokenType.Number: return new PolicyValue { Kind = JsonValueKind.Number };
            case JsonTokenType.True: return new PolicyValue { Kind = JsonValueKind.True };
            case JsonTokenType.False: return new PolicyValue { Kind = JsonValueKind.False };
            default: return new PolicyValue { Kind = JsonValueKind.Null };
        }
    }
}
