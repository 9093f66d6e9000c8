namespace Preconfig.ConfigSpace.Lspci;

/// <summary>
/// Functions read from a text dump (lspci, earlydump), in file order and one per address: a function listed again
/// replaces the earlier one, and that is reported as a <see cref="DumpProblem"/> naming both lines.
/// </summary>
public sealed class DumpFunctionList<T>(string source, List<DumpProblem> problems)
{
    private readonly Dictionary<PciAddress, int> _index = [];
    private readonly List<int> _lines = [];

    public List<T> Items { get; } = [];

    public void Add(PciAddress address, int line, T function)
    {
        if (_index.TryGetValue(address, out int at))
        {
            problems.Add(new DumpProblem(source, line, $"{address} is listed again (first at line {_lines[at]}); the later one is kept"));
            Items[at] = function;
            _lines[at] = line;
            return;
        }
        _index[address] = Items.Count;
        Items.Add(function);
        _lines.Add(line);
    }
}
