/** Cluster assignment of deepclust SavedModels on Apache Spark. */
package io.deepclust.spark;
