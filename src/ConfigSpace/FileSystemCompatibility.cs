using System.IO.Abstractions;

namespace Preconfig.ConfigSpace;

/// <summary>
/// System.IO.Abstractions 17's names for what version 23 calls <c>New</c>, for the sysfs readers written against
/// them (src/ConfigSpace/Sysfs). New code calls <c>New</c>; this goes once those call sites are renamed.
/// </summary>
internal static class FileSystemCompatibility
{
    public static FileSystemStream Create(this IFileStreamFactory factory, string path, FileMode mode, FileAccess access) =>
        factory.New(path, mode, access);

    public static FileSystemStream Create(this IFileStreamFactory factory, string path, FileMode mode, FileAccess access, FileShare share) =>
        factory.New(path, mode, access, share);

    public static FileSystemStream Create(this IFileStreamFactory factory, string path, FileMode mode, FileAccess access, FileShare share,
        int bufferSize, FileOptions options) =>
        factory.New(path, mode, access, share, bufferSize, options);

    public static IFileInfo FromFileName(this IFileInfoFactory factory, string fileName) => factory.New(fileName);
}
