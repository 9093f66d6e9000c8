using System.IO.Abstractions;
using Preconfig.Handoff.Blob;
using Preconfig.Handoff.Stores;

namespace Preconfig.Capture.Sources;

public enum SourceKind
{
    /// <summary><c>sysfs</c> / <c>sysfs:ROOT</c>: live config spaces under ROOT/devices/*/config.</summary>
    Sysfs,
    /// <summary><c>lspci:FILE</c>: an lspci -x/-xxx/-xxxx dump (<c>-</c> for stdin).</summary>
    Lspci,
    /// <summary><c>earlydump:FILE</c>: a kernel log with <c>pci=earlydump</c> output (<c>-</c>, <c>kmsg</c>).</summary>
    EarlyDump,
    /// <summary><c>sim:FILE</c>: a simulated machine (JSON).</summary>
    Sim,
    /// <summary><c>early:FILE</c>: a snapshot blob taken earlier in this boot.</summary>
    Early,
    /// <summary>A store spec (<c>file:</c>, <c>devmem:</c>, <c>initrd:</c>) or a plain path holding a blob or store file.</summary>
    Store,
    /// <summary>A plain path whose kind is found from its content (<see cref="SourceSpec.Resolve"/>).</summary>
    Path,
}

/// <summary>A parsed SOURCE or INPUT: its kind and argument (file, root, store spec), and the text as written.</summary>
public sealed record SourceSpec(SourceKind Kind, string Argument, string Text)
{
    /// <summary>Parses the forms of cli-contract.md "Inputs". A plain path stays <see cref="SourceKind.Path"/>.</summary>
    public static SourceSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0) throw new FormatException("empty source");
        if (text == "sysfs") return new(SourceKind.Sysfs, Preconfig.ConfigSpace.Sysfs.SysfsConfigSpace.DefaultRoot, text);
        if (HandoffStore.HasStorePrefix(text)) return new(SourceKind.Store, text, text);
        int colon = text.IndexOf(':');
        if (colon > 0)
        {
            string prefix = text[..colon], arg = text[(colon + 1)..];
            SourceKind? kind = prefix switch
            {
                "sysfs" => SourceKind.Sysfs,
                "lspci" => SourceKind.Lspci,
                "earlydump" => SourceKind.EarlyDump,
                "sim" => SourceKind.Sim,
                "early" => SourceKind.Early,
                _ => null,
            };
            if (kind is not null)
            {
                if (arg.Length == 0) throw new FormatException($"source '{text}': nothing after '{prefix}:'");
                return new(kind.Value, arg, text);
            }
        }
        return new(SourceKind.Path, text, text);
    }

    /// <summary>
    /// For a plain path, looks at the content: a blob (magic), a cpio or gzip file (an initrd store), JSON (a
    /// simulated machine), else an lspci dump. Other kinds are returned as they are.
    /// </summary>
    public SourceSpec Resolve(IFileSystem fs)
    {
        if (Kind != SourceKind.Path) return this;
        if (Argument == "-") return this with { Kind = SourceKind.Lspci };
        if (fs.Directory.Exists(Argument))
            throw new UnsupportedSourceException($"{Argument}: is a directory (for a sysfs-shaped tree write sysfs:{Argument}; not supported yet by this build)");
        if (!fs.File.Exists(Argument)) throw new FileNotFoundException($"{Argument}: no such file", Argument);
        Span<byte> head = stackalloc byte[16];
        int n;
        using (var stream = fs.FileStream.New(Argument, FileMode.Open, FileAccess.Read))
            n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        head = head[..n];
        if (HandoffBlob.HasMagic(head)) return this with { Kind = SourceKind.Store };
        if (NewcArchive.HasMagic(head) || head.StartsWith((ReadOnlySpan<byte>)[0x1f, 0x8b]))
            return this with { Kind = SourceKind.Store, Argument = "initrd:" + Argument };
        int first = head.IndexOfAnyExcept(" \t\r\n"u8);
        if (first >= 0 && head[first] == (byte)'{') return this with { Kind = SourceKind.Sim };
        return this with { Kind = SourceKind.Lspci };
    }
}
