namespace Preconfig.Tests.Preinit;

/// <summary>A temp directory for one test class instance, deleted with it.</summary>
public abstract class TempDirectoryTest : IDisposable
{
    protected string Dir { get; }

    protected TempDirectoryTest(string prefix) => Dir = Directory.CreateTempSubdirectory(prefix).FullName;

    public void Dispose()
    {
        Directory.Delete(Dir, recursive: true);
        GC.SuppressFinalize(this);
    }
}
