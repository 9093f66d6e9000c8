namespace Preconfig.ConfigSpace.Lspci;

/// <summary>One function read from an lspci dump: its address, the bytes it holds, and the line its header was on.
/// <paramref name="Captured"/> says which bytes the dump's rows held (null: all of <see cref="Config"/>); the others
/// read 0xff in <see cref="Config"/> and are unknown.</summary>
public sealed record LspciFunction(PciAddress Address, byte[] Config, int Line, KnownBytes? Captured = null)
{
    public KnownBytes Known => Captured ?? KnownBytes.All(Config.Length);
}

/// <summary>A problem in a dump, located by file and line. The good devices around it are still returned.</summary>
public sealed record DumpProblem(string File, int Line, string Message)
{
    public override string ToString() => $"{File}:{Line}: {Message}";
}

/// <summary>The result of reading a dump: every good function, in file order, and every problem found.</summary>
public sealed record LspciDump(string Source, IReadOnlyList<LspciFunction> Functions, IReadOnlyList<DumpProblem> Problems);

/// <summary>The dump cannot be used at all (no device in it, or it is not text).</summary>
public sealed class DumpFormatException(string message) : FormatException(message);
