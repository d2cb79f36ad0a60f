namespace LowRankTrainer.Tests.Data;

/// <summary>Locates tests/fixtures/data from the test assembly's folder, and makes scratch folders.</summary>
internal static class TestPaths
{
    public static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "fixtures", "data", name);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException($"fixture tests/fixtures/data/{name} not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A fresh temporary folder, deleted when disposed.</summary>
    public sealed class TempDir : IDisposable
    {
        public TempDir() => Directory.CreateDirectory(Path);

        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "lrt-data-" + Guid.NewGuid().ToString("N"));

        public string File(string name) => System.IO.Path.Combine(Path, name);

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
